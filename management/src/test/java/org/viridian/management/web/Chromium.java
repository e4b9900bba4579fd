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
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .withLogFile(new File("target/chromedriver.log"))
                .build();
        return new ChromeDriver(service, o);
    }
}
