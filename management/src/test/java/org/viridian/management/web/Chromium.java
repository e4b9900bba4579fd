package org.viridian.management.web;

import java.io.File;
import java.nio.file.Path;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.viridian.testkit.ExternalTool;

/**
 * Debian's headless Chromium with its chromium-driver, installed with apt-get when missing (as root); otherwise the
 * browser tests are skipped with the reason.
 */
public final class Chromium {
    private static final Path BROWSER = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {}

    public static ChromeDriver start() throws Exception {
        return start(false);
    }

    /** {@code acceptSelfSigned}: trust any certificate (a nested host's self-signed TLS service). */
    public static ChromeDriver start(boolean acceptSelfSigned) throws Exception {
        return start(acceptSelfSigned, null);
    }

    /**
     * A browser whose user speaks {@code language} (e.g. "de"): its UI language ({@code --lang}), so
     * {@code navigator.languages}, and the Accept-Language it sends.
     */
    public static ChromeDriver speaking(String language) throws Exception {
        return start(false, language);
    }

    private static ChromeDriver start(boolean acceptSelfSigned, String language) throws Exception {
        ExternalTool.require(BROWSER.toString(), "chromium");
        ExternalTool.require(DRIVER.toString(), "chromium-driver");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(BROWSER.toFile());
        o.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1400,1000");
        if (acceptSelfSigned) o.addArguments("--ignore-certificate-errors");
        if (language != null) {
            o.addArguments("--lang=" + language);
            o.setExperimentalOption("prefs", java.util.Map.of("intl.accept_languages", language));
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .withLogFile(new File("target/chromedriver.log"))
                .build();
        return new ChromeDriver(service, o);
    }
}
