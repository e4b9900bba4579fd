package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.management.demo.LinuxDemo;
import org.viridian.management.web.Chromium;

/**
 * Acceptance (mvn -P acceptance verify): what a new user gets from `viridian up` on a host with hardware KVM, here the
 * nested KVM host. The Linux demo is assembled on this machine (the nested host has no apt) and carried into the
 * nested host's state directory, where `viridian up` finds it cached, creates the demo VM from it and boots it to its
 * shells: once without a terminal (it ends with status 0 and the VM off), then with --keep-serving; headless Chromium
 * here opens the demo VM's page through QEMU's port forward and types a command into the browser's serial console,
 * whose output must come back from the guest, with /home on the disk the first boot formatted.
 */
@Tag("acceptance")
class LinuxDemoIT {
    /** Where this machine keeps its assembled demo between runs (assembling downloads two packages). */
    private static final Path OUTER_STATE =
            Path.of(System.getProperty("user.home"), ".cache", "viridian", "linux-demo-state");

    private static final Pattern READY =
            Pattern.compile("the Linux demo reached its shells after ([0-9.]+) s: .*#/vm/([0-9a-f-]{36})");

    private static NestedKvmHost.Session host;
    private static String url, vmId;
    private static LinuxDemo.Assets assets;
    private static ChromeDriver browser;

    @BeforeAll
    static void upInTheNestedHost() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        long t0 = System.nanoTime();
        assets = LinuxDemo.ensure(OUTER_STATE, step -> System.out.println("linux demo: " + step));
        System.out.printf(
                "linux demo assets ready in %d ms: %s%n", (System.nanoTime() - t0) / 1_000_000, assets.source());
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Path p : List.of(assets.kernel(), assets.initrd(), assets.kernel().resolveSibling("source.txt")))
            files.put("state/images/linux-demo/" + p.getFileName(), Files.readAllBytes(p));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // `viridian up` serves on loopback only (anything else needs TLS and tokens); busybox nc relays the
        // forwarded port to it, a connection at a time.
        host = NestedKvmHost.start(
                jar,
                files,
                List.of(
                        new NestedKvmHost.Command("relay", "nc -ll -p 8081 -e nc 127.0.0.1 8080 &"),
                        // As a script or CI has it (no terminal): up ends once the shells are ready, the VM off.
                        NestedKvmHost.Command.watched("first", "viridian up --state-dir state --listen 127.0.0.1:8080"),
                        new NestedKvmHost.Command(
                                "up", "viridian up --state-dir state --listen 127.0.0.1:8080 --keep-serving")),
                new NestedKvmHost.Network(port, 8081));
        long t1 = System.nanoTime();
        var first = Pattern.compile("@@@END first rc=(\\d+)")
                .matcher(host.await(Pattern.compile("(@@@END first rc=\\d+)"), Duration.ofMinutes(12)));
        assertThat(first.find()).isTrue();
        assertThat(first.group(1))
                .as("the first up, without a terminal; nested console:%n%s", host.console())
                .isEqualTo("0");
        // The second up's outcome: what follows its BEGIN (the first up printed its own ready line before).
        String outcome = host.await(
                Pattern.compile("@@@BEGIN up\n(?s:.*?)(the Linux demo reached its shells after [^\n]*"
                        + "|the Linux demo did not reach [^\n]*|the Linux demo cannot be assembled[^\n]*"
                        + "|@@@END up [^\n]*)"),
                Duration.ofMinutes(8));
        var ready = READY.matcher(outcome);
        assertThat(ready.find())
                .as("%s; nested console:%n%s", outcome, host.console())
                .isTrue();
        vmId = ready.group(2);
        host.await(Pattern.compile("viridian: serving on http://127\\.0\\.0\\.1:8080/? until"), Duration.ofMinutes(1));
        System.out.printf(
                "nested host: the Linux demo's shells were ready %s s after its start (boots: %s; %d s after QEMU"
                        + " started)%n",
                ready.group(1),
                READY.matcher(host.console())
                        .results()
                        .map(m -> m.group(1) + " s")
                        .toList(),
                (System.nanoTime() - t1) / 1_000_000_000);
        url = "http://127.0.0.1:" + port + "/";
        browser = Chromium.start();
    }

    @AfterAll
    static void shutDown() throws Exception {
        if (browser != null) browser.quit();
        if (host != null) {
            Files.writeString(Path.of("target", "linux-demo-nested-console.log"), host.console());
            host.close();
        }
    }

    @Test
    void aCommandTypedIntoTheBrowsersSerialConsoleRunsInTheLinuxDemo() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofMinutes(2));
        browser.get(url + "#/vm/" + vmId);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#vm-state [data-state='running']")));
        WebElement input = wait.until(
                ExpectedConditions.presenceOfElementLocated(By.cssSelector("#terminal .xterm-helper-textarea")));
        // A fresh prompt: the shell's line (and its hostname) whatever the page's scrollback holds.
        type(input, "\n");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#terminal .xterm-rows"), "@viridian-demo"));
        int a = ThreadLocalRandom.current().nextInt(1000, 9000),
                b = ThreadLocalRandom.current().nextInt(1000, 9000);
        // The shell computes the sum: the typed line itself (echoed back) never contains it.
        // The second boot: /home is the disk the first boot formatted, mounted again.
        String expected = "typed-ok-" + (a + b) + " " + version() + " home:/dev/sda";
        type(
                input,
                "echo typed-ok-$((" + a + "+" + b + ")) $(uname -r) home:$(grep ' /home ' /proc/mounts | cut -d' ' -f1)"
                        + " > /dev/ttyS0\n");
        try {
            wait.until(ExpectedConditions.textToBePresentInElementLocated(
                    By.cssSelector("#terminal .xterm-rows"), expected));
        } finally {
            Files.write(Path.of("target", "linux-demo-page.png"), browser.getScreenshotAs(OutputType.BYTES));
        }
        System.out.println("the browser's serial console shows: " + expected);
    }

    /** The graphical console has a picture: hyperv_fb bound, the kernel's console and tty1's shell on it. */
    @Test
    void theDemoDrawsItsConsoleOnTheSyntheticFramebuffer() throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url + "api/v1/vms/" + vmId + "/screenshot"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        Files.write(Path.of("target", "linux-demo-screen.png"), r.body());
        assertThat(r.body()).as("a PNG of the guest's screen").hasSizeGreaterThan(100);
        assertThat(new String(r.body(), 1, 3, java.nio.charset.StandardCharsets.ISO_8859_1))
                .isEqualTo("PNG");
        System.out.println("the demo's screen: " + r.body().length + " bytes of PNG");
    }

    /** Keys one at a time: the guest's UART has a 16-byte FIFO, and a slow (nested) guest drains it late. */
    private static void type(WebElement input, String text) throws InterruptedException {
        for (char c : text.toCharArray()) {
            input.sendKeys(String.valueOf(c));
            Thread.sleep(60);
        }
    }

    private static String version() {
        // "Linux 6.1.0-57-cloud-amd64 from …"
        return assets.source().split(" ")[1];
    }
}
