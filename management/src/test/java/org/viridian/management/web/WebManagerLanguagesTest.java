package org.viridian.management.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.viridian.management.testing.TestService;
import org.viridian.testkit.ExternalTool;
import org.viridian.testkit.Translations;

/**
 * The web manager in the browser's language: Chromium speaking German, then Japanese, walks every page (VM list,
 * each wizard step, a VM's page, switches) and finds no English message of the catalogue on it; screenshots of each
 * page go to target/screenshots. The chooser in the header overrides the browser's language and is remembered.
 */
public class WebManagerLanguagesTest {
    static final Path SCREENSHOTS = Path.of("target/screenshots");
    private static TestService service;
    private static String vmId;

    @BeforeAll
    static void start() throws Exception {
        service = TestService.scripted();
        vmId = service.api
                .post("/api/v1/vms", "{\"name\":\"rechner\",\"cpus\":2,\"memory\":\"96M\"}")
                .json()
                .get("id")
                .asText();
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (service != null) service.close();
    }

    @Test
    void germanBrowserSeesTheManagerInGerman() throws Exception {
        walk("de", "Virtuelle Computer", "Neuer virtueller Computer", "Serielle Konsole", "Virtuelle Switches");
    }

    @Test
    void japaneseBrowserSeesTheManagerInJapanese() throws Exception {
        // Without a CJK font the screenshots would show boxes (the page's text is checked either way).
        ExternalTool.requirePackage("fonts-noto-cjk");
        walk("ja", "仮想マシン", "新しい仮想マシン", "シリアル コンソール", "仮想スイッチ");
    }

    @Test
    void theChooserOverridesTheBrowsersLanguageAndIsRemembered() throws Exception {
        ChromeDriver browser = Chromium.speaking("de");
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            browser.get(service.service.url() + "#/");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Virtuelle Computer"));
            new Select(browser.findElement(By.id("language"))).selectByValue("ja");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "仮想マシン"));
            browser.navigate().refresh();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "仮想マシン"));
            assertThat(browser.findElement(By.tagName("html")).getDomAttribute("lang"))
                    .isEqualTo("ja");
            new Select(browser.findElement(By.id("language"))).selectByValue("en");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Virtual machines"));
        } finally {
            browser.quit();
        }
    }

    /** Every page in {@code language}: the expected headings, no English catalogue text, a screenshot each. */
    private static void walk(String language, String listTitle, String wizardTitle, String console, String switches)
            throws Exception {
        ChromeDriver browser = Chromium.speaking(language);
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            EnglishFinder english = new EnglishFinder(CatalogueTest.catalogue("en"), CatalogueTest.catalogue(language));
            List<String> found = new ArrayList<>();

            browser.get(service.service.url() + "#/");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), listTitle));
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-vm='rechner']")));
            assertThat(browser.findElement(By.tagName("html")).getDomAttribute("lang"))
                    .isEqualTo(language);
            found.addAll(english.on(browser, "list"));
            shoot(browser, language + "-list");

            browser.findElement(By.id("new-vm")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), wizardTitle));
            browser.findElement(By.id("wizard-name")).sendKeys("zweiter");
            for (int step = 1; step <= 4; step++) {
                found.addAll(english.on(browser, "wizard step " + step));
                if (step == 3) shoot(browser, language + "-wizard-boot");
                browser.findElement(By.id("wizard-next")).click();
            }
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("wizard-summary")));
            found.addAll(english.on(browser, "wizard summary"));
            shoot(browser, language + "-wizard-summary");

            browser.get(service.service.url() + "#/vm/" + vmId);
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("main"), console));
            found.addAll(english.on(browser, "VM page"));
            shoot(browser, language + "-vm");

            browser.get(service.service.url() + "#/switches");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), switches));
            found.addAll(english.on(browser, "switches"));
            shoot(browser, language + "-switches");

            // A standalone host's cluster page: it says it is no member, in the page's language.
            browser.get(service.service.url() + "#/cluster");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("not-clustered")));
            found.addAll(english.on(browser, "cluster"));
            shoot(browser, language + "-cluster");

            assertThat(found)
                    .as("English catalogue text on the %s pages", language)
                    .isEmpty();
        } finally {
            browser.quit();
        }
    }

    private static void shoot(ChromeDriver browser, String name) throws Exception {
        Files.copy(
                browser.getScreenshotAs(OutputType.FILE).toPath(),
                SCREENSHOTS.resolve(name + ".png"),
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Finds English catalogue text on a page shown in another language: each English message's literal parts (what
     * shows whatever fills its placeholders), as whole words, in the page's visible text, placeholders, option
     * labels and title; the guest's console and the service's own words (class service-text) are not the page's.
     */
    static final class EnglishFinder {
        private final Map<Pattern, String> patterns = new java.util.LinkedHashMap<>();

        EnglishFinder(Map<String, String> english, Map<String, String> translated) {
            english.forEach((key, en) -> {
                if (en.equals(translated.get(key))) return; // the same in both (a checked exception, see CatalogueTest)
                for (String part : Translations.literalParts(en)) {
                    if (part.codePoints().filter(Character::isLetter).count() < 3) continue;
                    if (Translations.sameEverywhere(part)) continue;
                    Pattern word = Pattern.compile("(?<![\\p{L}])" + Pattern.quote(part) + "(?![\\p{L}])");
                    // A word the translations use themselves ("Virtuelle Switches", the value "none" to type).
                    if (translated.values().stream()
                            .anyMatch(t -> word.matcher(t).find())) continue;
                    patterns.put(word, key + " \"" + part + "\"");
                }
            });
        }

        List<String> on(ChromeDriver browser, String page) {
            String text = (String)
                    ((JavascriptExecutor) browser)
                            .executeScript(
                                    """
                            const hidden = [...document.querySelectorAll('#terminal, .service-text')];
                            hidden.forEach(e => e.dataset.display = e.style.display);
                            hidden.forEach(e => e.style.display = 'none');
                            const parts = [document.title, document.body.innerText];
                            hidden.forEach(e => e.style.display = e.dataset.display || '');
                            document.querySelectorAll('input[placeholder], textarea[placeholder]')
                                .forEach(e => parts.push(e.placeholder));
                            document.querySelectorAll('option').forEach(e => parts.push(e.textContent));
                            document.querySelectorAll('[aria-label]').forEach(e => parts.push(e.getAttribute('aria-label')));
                            return parts.join('\\n');
                            """);
            List<String> found = new ArrayList<>();
            patterns.forEach((p, what) -> {
                if (p.matcher(text).find()) found.add(page + ": " + what);
            });
            return found;
        }
    }
}
