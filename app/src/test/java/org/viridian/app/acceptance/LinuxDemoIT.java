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
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.devices.video.Framebuffer;
import org.viridian.management.demo.LinuxDemo;
import org.viridian.management.testing.Png;
import org.viridian.management.web.Chromium;

/**
 * Acceptance (mvn -P acceptance verify): what a new user gets from `viridian up` on a host with hardware KVM, here the
 * nested KVM host. The Linux demo is assembled on this machine (the nested host has no apt) and carried into the
 * nested host's state directory, where `viridian up` finds it cached, creates the demo VM from it and boots it to its
 * shells: once without a terminal (it ends with status 0 and the VM off), then with --keep-serving; headless Chromium
 * here opens the demo VM's page through QEMU's port forward and types a command into the browser's serial console,
 * whose output must come back from the guest, with /home on the disk the first boot formatted. Then the graphical
 * console with the stock kernel's own drivers: hyperv_fb carries tty1, whose text and the pixels the guest paints
 * into /dev/fb0 are in the host's copy of the screen, which the browser's canvas equals pixel for pixel; keys typed
 * on the canvas (shifted ones too) run a command in tty1's shell, a click on the canvas reaches the guest's evdev as
 * a left-button press at that point, and Debian's vncsnapshot takes the same picture through the VM's VNC console.
 */
@Tag("acceptance")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LinuxDemoIT {
    private static final String VNC_PASSWORD = "demo-vnc";
    /** The VM's VNC port in the nested host, relayed (busybox nc) to a port QEMU forwards from here. */
    private static final int NESTED_VNC_PORT = 5901;

    /** Where this machine keeps its assembled demo between runs (assembling downloads two packages). */
    private static final Path OUTER_STATE =
            Path.of(System.getProperty("user.home"), ".cache", "viridian", "linux-demo-state");

    private static final Pattern READY =
            Pattern.compile("the Linux demo reached its shells after ([0-9.]+) s: .*#/vm/([0-9a-f-]{36})");

    private static NestedKvmHost.Session host;
    private static String url, vmId;
    private static int vncPort;
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
        int port = freePort();
        vncPort = freePort();
        // `viridian up` serves on loopback only (anything else needs TLS and tokens); busybox nc relays the
        // forwarded port to it, a connection at a time.
        host = NestedKvmHost.start(
                jar,
                files,
                List.of(
                        new NestedKvmHost.Command("relay", "nc -ll -p 8081 -e nc 127.0.0.1 8080 &"),
                        new NestedKvmHost.Command(
                                "vnc-relay", "nc -ll -p 8082 -e nc 127.0.0.1 " + NESTED_VNC_PORT + " &"),
                        // As a script or CI has it (no terminal): up ends once the shells are ready, the VM off.
                        NestedKvmHost.Command.watched("first", "viridian up --state-dir state --listen 127.0.0.1:8080"),
                        new NestedKvmHost.Command(
                                "up", "viridian up --state-dir state --listen 127.0.0.1:8080 --keep-serving")),
                new NestedKvmHost.Network(port, 8081, Map.of(vncPort, 8082)));
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

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    @Order(1)
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

    /**
     * The graphical console with the stock kernel's hyperv_fb: tty1's text and pixels the guest paints into /dev/fb0
     * are in the host's copy of the screen, and the canvas equals that copy; keys typed on the canvas run a command in
     * tty1's shell; a click on the canvas is a left-button press at that point in the guest's evdev.
     */
    @Test
    @Order(2)
    void theGraphicalConsoleShowsTheFramebufferAndTakesKeysAndClicks() throws Exception {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofMinutes(2));
        browser.get(url + "#/vm/" + vmId);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#vm-state [data-state='running']")));
        WebElement terminal = wait.until(
                ExpectedConditions.presenceOfElementLocated(By.cssSelector("#terminal .xterm-helper-textarea")));
        WebElement canvas = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("screen")));

        // What the guest's kernel says of its framebuffer.
        MatchResult fb = serial(
                terminal,
                "\necho fbinfo $(cat /sys/class/graphics/fb0/name) $(cat /sys/class/graphics/fb0/virtual_size)"
                        + " $(cat /sys/class/graphics/fb0/stride) $(cat /sys/class/graphics/fb0/bits_per_pixel)\n",
                Pattern.compile("fbinfo (\\S+) (\\d+),(\\d+) (\\d+) (\\d+)"));
        assertThat(fb.group(1)).as("the driver of fb0").isEqualTo("hyperv_fb");
        assertThat(fb.group(5)).as("bits per pixel").isEqualTo("32");
        int w = Integer.parseInt(fb.group(2)),
                h = Integer.parseInt(fb.group(3)),
                stride = Integer.parseInt(fb.group(4));

        // tty1 cleared, its cursor hidden and still, a line of text on it; then two bands of known colours painted
        // by the guest straight into /dev/fb0 (B, G, R, X bytes) in the screen's lower quarter, away from the text.
        int r0 = h * 3 / 4;
        type(
                terminal,
                "echo 0 > /sys/class/graphics/fbcon/cursor_blink; printf '\\033[?25l\\033[2J\\033[H' > /dev/tty1;"
                        + " echo VIRIDIAN GRAPHICAL CONSOLE > /dev/tty1\n");
        type(
                terminal,
                "printf '\\000\\000\\377\\000' > /tmp/a; printf '\\126\\064\\022\\000' > /tmp/b; for f in a b; do"
                        + " while [ $(wc -c < /tmp/$f) -lt " + stride
                        + " ]; do cat /tmp/$f /tmp/$f > /tmp/q; mv /tmp/q /tmp/$f;"
                        + " done; done\n");
        serial(
                terminal,
                "for r in $(seq " + r0 + " " + (r0 + 31) + "); do f=a; [ $r -ge " + (r0 + 16) + " ] && f=b;"
                        + " dd if=/tmp/$f of=/dev/fb0 bs=" + stride + " count=1 seek=$r 2>/dev/null; done;"
                        + " echo painted-$((6*7))\n",
                Pattern.compile("painted-42"));
        Framebuffer screen = awaitCanvasEqualsHost(s -> true);
        assertThat(new int[] {screen.width(), screen.height()}).containsExactly(w, h);
        for (int x = 0; x < w; x++) {
            assertThat(screen.pixel(x, r0 + 3))
                    .as("the guest's red band at x=%d", x)
                    .isEqualTo(0xFF0000);
            assertThat(screen.pixel(x, r0 + 19))
                    .as("the guest's second band at x=%d", x)
                    .isEqualTo(0x123456);
        }
        long text = lit(screen, 0, 16);
        assertThat(text).as("tty1's line of text on the host's copy").isGreaterThan(150);
        Files.write(Path.of("target", "linux-demo-screen.png"), api("/screenshot"));

        // Keys typed on the canvas go to tty1's shell: shifted ones ($, (, +, ), >) with Shift held, as a user types
        // them. The sum is computed by the guest, so only a command that ran can print it on the serial console.
        int a = ThreadLocalRandom.current().nextInt(1000, 9000),
                b = ThreadLocalRandom.current().nextInt(1000, 9000);
        System.out.println("the guest's input devices and their drivers' messages:\n"
                + serial(
                                terminal,
                                "echo inputs-$((2+2)); grep -E 'Name|Handlers' /proc/bus/input/devices; dmesg | grep -i -E"
                                        + " 'hv_|hyperv|input|hid|serio|atkbd|keyboard' | tail -n 30; echo inputs-end-$((3+3))\n",
                                Pattern.compile("inputs-4(?s:.*?)inputs-end-6"))
                        .group());
        new Actions(browser).click(canvas).perform();
        long since = consoleEnd();
        typeOnCanvas("echo canvas-ok-$((" + a + "+" + b + ")) > /dev/ttyS0\n");
        try {
            awaitConsole(since, Pattern.compile("canvas-ok-" + (a + b)), "the keys typed on the canvas");
        } finally {
            Files.write(Path.of("target", "linux-demo-typed.png"), api("/screenshot"));
        }
        // tty1 echoed what was typed: more text on the canvas, which still equals the host's copy.
        Framebuffer typed = awaitCanvasEqualsHost(s -> lit(s, 16, 32) > 150);
        System.out.printf(
                "graphical console: %dx%d hyperv_fb, canvas = host copy, guest's bands exact, %d text pixels, typed"
                        + " line %d pixels, canvas-ok-%d from the keys typed on the canvas%n",
                w, h, text, lit(typed, 16, 32), a + b);

        // A click: the guest's mouse events (evdev, 24-byte input_event records) captured while it happens.
        serial(
                terminal,
                "for e in /sys/class/input/event*; do grep -qi mouse $e/device/name && M=/dev/input/${e##*/};"
                        + " done; cat $M > /tmp/ev & P=$!; echo capture-$((1+1)) $M\n",
                Pattern.compile("capture-2 /dev/input/event\\d+"));
        int cssW = canvas.getSize().getWidth(), cssH = canvas.getSize().getHeight();
        // Away from the centre, where the click that focused the canvas left the pointer (evdev drops repeats).
        int px = w / 3, py = h * 2 / 5;
        new Actions(browser)
                .moveToElement(canvas, px * cssW / w - cssW / 2, py * cssH / h - cssH / 2)
                .click()
                .perform();
        List<int[]> events = List.of();
        for (int i = 0; i < 12 && !clicked(events); i++) {
            events = inputEvents(serial(
                            terminal,
                            "echo evdump-$(od -An -tx1 -v /tmp/ev | tr -d ' \\n')-end\n",
                            Pattern.compile("evdump-([0-9a-f]*)-end"))
                    .group(1));
        }
        type(terminal, "kill $P\n");
        assertThat(clicked(events))
                .as("a left-button press and release among %d input events", events.size())
                .isTrue();
        int absX = -1, absY = -1;
        for (int[] e : events) {
            if (e[0] == 3 && e[1] == 0) absX = e[2];
            if (e[0] == 3 && e[1] == 1) absY = e[2];
            if (e[0] == 1 && e[1] == 0x110 && e[2] == 1) break;
        }
        double ex = (double) px * 0x7FFF / w, ey = (double) py * 0x7FFF / h;
        System.out.printf(
                "click at (%d, %d) on the canvas: the guest's evdev has BTN_LEFT press/release at ABS (%d, %d),"
                        + " expected about (%.0f, %.0f) of 32767%n",
                px, py, absX, absY, ex, ey);
        assertThat((double) absX).isCloseTo(ex, org.assertj.core.data.Offset.offset(0x7FFF * 0.01));
        assertThat((double) absY).isCloseTo(ey, org.assertj.core.data.Offset.offset(0x7FFF * 0.01));
    }

    /** The VM's VNC console, switched on while it runs: Debian's vncsnapshot, here, takes the host's copy. */
    @Test
    @Order(3)
    void vncsnapshotTakesTheScreenThroughTheVmsVncConsole() throws Exception {
        HttpResponse<String> set = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url + "api/v1/vms/" + vmId + "/vnc"))
                                .header("Content-Type", "application/json")
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"enabled\":true,\"port\":" + NESTED_VNC_PORT
                                        + ",\"password\":\"" + VNC_PASSWORD + "\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        var snap = Vncsnapshot.take(vncPort, VNC_PASSWORD, Path.of("target"));
        var host = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(api("/screenshot")));
        VncPicture p = VncPicture.compare(host, snap);
        System.out.println("vncsnapshot of the demo vs the host's copy " + p);
        assertThat(p.sameScreen())
                .as("vncsnapshot's picture is the host's copy: %s", p)
                .isTrue();
    }

    private static byte[] api(String path) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(url + "api/v1/vms/" + vmId + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as("GET %s", path).isEqualTo(200);
        return r.body();
    }

    /** Where the VM's serial console ends now (a byte offset in its output). */
    private static long consoleEnd() throws Exception {
        return Long.parseLong(HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(url + "api/v1/vms/" + vmId + "/console?since=" + Long.MAX_VALUE))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .headers()
                .firstValue("X-Console-Offset")
                .orElseThrow());
    }

    /** Types {@code line} into the serial console; returns the first match of {@code p} in what follows it. */
    private static MatchResult serial(WebElement terminal, String line, Pattern p) throws Exception {
        long since = consoleEnd();
        type(terminal, line);
        return awaitConsole(since, p, "`" + line.strip() + "`");
    }

    /** The first match of {@code p} in the serial console's output from byte {@code since}, waited for. */
    private static MatchResult awaitConsole(long since, Pattern p, String after) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        String text = "";
        while (System.nanoTime() < end) {
            text = new String(api("/console?since=" + since), java.nio.charset.StandardCharsets.UTF_8);
            Matcher m = p.matcher(text);
            if (m.find()) return m.toMatchResult();
            Thread.sleep(1000);
        }
        throw new AssertionError("the serial console never showed " + p + " after " + after + "; it showed:\n"
                + text.substring(Math.max(0, text.length() - 2000)));
    }

    /** Waits until the canvas equals the host's copy of the screen (PNG, read back) and {@code also} holds. */
    private static Framebuffer awaitCanvasEqualsHost(java.util.function.Predicate<Framebuffer> also) throws Exception {
        long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String last = "nothing drawn";
        while (System.nanoTime() < end) {
            Framebuffer host = Png.read(api("/screenshot"));
            String data =
                    (String) browser.executeScript("return document.getElementById('screen').toDataURL('image/png');");
            Framebuffer canvas = Png.read(java.util.Base64.getDecoder().decode(data.substring(data.indexOf(',') + 1)));
            if (canvas.width() != host.width() || canvas.height() != host.height())
                last = "canvas " + canvas.width() + "x" + canvas.height();
            else if (!java.util.Arrays.equals(canvas.pixels(), host.pixels())) last = "pixels differ";
            else if (!also.test(host)) last = "the screen not yet as expected";
            else return host;
            Thread.sleep(500);
        }
        throw new AssertionError("the canvas never equalled the host's copy of the screen: " + last);
    }

    /** The pixels that are not black in rows [from, to): text drawn by fbcon on its black background. */
    private static long lit(Framebuffer f, int from, int to) {
        long n = 0;
        for (int y = from; y < to; y++) for (int x = 0; x < f.width(); x++) if (f.pixel(x, y) != 0) n++;
        return n;
    }

    /**
     * Keys on the focused canvas, one at a time; a shifted character (capitals too) as Shift held around its unshifted
     * key, as a user types it: the page sends where each key is (KeyboardEvent.code), and WebDriver's own typing of a
     * capital presses no Shift key.
     */
    private static void typeOnCanvas(String text) throws InterruptedException {
        String shifted = "~!@#$%^&*()_+{}|:\"<>?", plain = "`1234567890-=[]\\;',./";
        for (char c : text.toCharArray()) {
            Actions keys = new Actions(browser);
            int i = shifted.indexOf(c);
            if (c == '\n') keys.sendKeys(Keys.RETURN); // ENTER is the keypad's
            else if (i >= 0 || Character.isUpperCase(c))
                keys.keyDown(Keys.SHIFT)
                        .sendKeys(String.valueOf(i >= 0 ? plain.charAt(i) : Character.toLowerCase(c)))
                        .keyUp(Keys.SHIFT);
            else keys.sendKeys(String.valueOf(c));
            keys.perform();
            Thread.sleep(40);
        }
    }

    /** x86-64 input_event records (16 bytes of time, u16 type, u16 code, s32 value) as {type, code, value}. */
    private static List<int[]> inputEvents(String hex) {
        List<int[]> events = new java.util.ArrayList<>();
        for (int i = 0; i + 48 <= hex.length(); i += 48) {
            int type = le(hex, i + 32, 2), code = le(hex, i + 36, 2), value = le(hex, i + 40, 4);
            events.add(new int[] {type, code, value});
        }
        return events;
    }

    private static int le(String hex, int at, int bytes) {
        int v = 0;
        for (int b = bytes - 1; b >= 0; b--)
            v = v << 8 | Integer.parseInt(hex.substring(at + 2 * b, at + 2 * b + 2), 16);
        return v;
    }

    private static boolean clicked(List<int[]> events) {
        boolean down = false;
        for (int[] e : events)
            if (e[0] == 1 && e[1] == 0x110) {
                if (e[2] == 1) down = true;
                else if (down && e[2] == 0) return true;
            }
        return false;
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
