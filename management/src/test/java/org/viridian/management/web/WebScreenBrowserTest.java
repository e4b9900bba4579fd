package org.viridian.management.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.viridian.devices.video.Framebuffer;
import org.viridian.management.testing.Png;
import org.viridian.management.testing.ScriptedScreen;
import org.viridian.management.testing.TestService;

/**
 * The graphical console in real headless Chromium against a scripted guest that draws into a real framebuffer: the
 * canvas equals the host's copy of the screen (and that copy what the guest drew), keys typed and a click made in
 * the page arrive at the guest's keyboard and mouse (the guest says so on its serial console, and draws the click,
 * which the canvas then shows), the Ctrl+Alt+Del button sends those three keys, and the VM list shows a thumbnail.
 */
class WebScreenBrowserTest {
    private static TestService service;
    private static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        service = TestService.scripted();
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (service != null) service.close();
    }

    @Test
    void theCanvasShowsTheGuestsScreenAndTakesKeysAndClicks() throws Exception {
        var api = service.api;
        String id = api.post(
                        "/api/v1/vms",
                        "{\"name\":\"gfx\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"screen\"}}")
                .json()
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitConsole(id, "login: ");
        browser.get(service.service.url() + "#/vm/" + id);
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        WebElement canvas = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("screen")));
        Framebuffer host = awaitCanvasEqualsHost(id);
        assertThat(host.pixel(100, 10)).isEqualTo(ScriptedScreen.initial(100, 10));
        assertThat(host.pixel(600, 300)).isEqualTo(ScriptedScreen.initial(600, 300));
        // The serial console stays beside it.
        assertThat(browser.findElement(By.id("terminal")).getText()).contains("cpus online:");

        // Keys typed into the focused canvas reach the guest's keyboard as set-1 scancodes, extended ones with E0.
        new Actions(browser).click(canvas).perform();
        canvas.sendKeys("ab");
        canvas.sendKeys(org.openqa.selenium.Keys.ARROW_UP);
        api.awaitConsole(id, "key 0x1e down");
        api.awaitConsole(id, "key 0x30 up");
        api.awaitConsole(id, "key 0x48 e0 down");

        // A click at a known point reaches the mouse at that point of its absolute range, and shows on the canvas.
        int cssW = canvas.getSize().getWidth(), cssH = canvas.getSize().getHeight();
        int px = 480, py = 300;
        new Actions(browser)
                .moveToElement(
                        canvas,
                        px * cssW / ScriptedScreen.WIDTH - cssW / 2,
                        py * cssH / ScriptedScreen.HEIGHT - cssH / 2)
                .click()
                .perform();
        api.awaitConsole(id, "buttons 1 wheel 0");
        host = awaitCanvasEqualsHost(id);
        assertThat(host.pixel(px + 1, py + 1)).isEqualTo(ScriptedScreen.RED);

        browser.findElement(By.id("screen-cad")).click();
        api.awaitConsole(id, "key 0x1d down\r\nkey 0x38 down\r\nkey 0x53 e0 down");
        assertThat(browser.findElement(By.id("screen-download")).getAttribute("href"))
                .endsWith("/vms/" + id + "/screenshot");

        // The list shows the running VM's thumbnail.
        browser.get(service.service.url() + "#/");
        wait.until(
                b -> (Boolean)
                        ((ChromeDriver) b)
                                .executeScript(
                                        "const i = document.querySelector('img.vm-thumb'); return !!i && i.complete && i.naturalWidth === 160;"));
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    /** Waits until the canvas's pixels (read back as a PNG) equal the host's copy of the screen; returns that copy. */
    private Framebuffer awaitCanvasEqualsHost(String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "nothing drawn";
        while (System.nanoTime() < end) {
            Framebuffer host = Png.read(service.api.getBytes("/api/v1/vms/" + id + "/screenshot"));
            String url =
                    (String) browser.executeScript("return document.getElementById('screen').toDataURL('image/png');");
            Framebuffer canvas = Png.read(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1)));
            if (canvas.width() == host.width() && canvas.height() == host.height()) {
                if (Arrays.equals(canvas.pixels(), host.pixels())) return host;
                int differ = 0;
                for (int i = 0; i < host.pixels().length; i++) if (host.pixels()[i] != canvas.pixels()[i]) differ++;
                last = differ + " pixels differ";
            } else {
                last = "canvas " + canvas.width() + "x" + canvas.height();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the canvas never equalled the host's copy of the screen: " + last);
    }
}
