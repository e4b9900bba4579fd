package org.viridian.management.vnc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.devices.video.Framebuffer;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.Png;
import org.viridian.management.testing.ScriptedScreen;
import org.viridian.management.testing.TestService;
import org.viridian.testkit.ExternalTool;

/**
 * A real VNC client, Debian's vncsnapshot (TightVNC's RFB 3.3 code), against a VM's VNC console set up over the API
 * with a password: its screenshot equals the host's copy of the screen. vncsnapshot writes only JPEG (at quality
 * 100 here), so "equal" is within JPEG's loss: a small mean error, and nearly every pixel close.
 */
class VncSnapshotTest {
    private static TestService service;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void stop() {
        if (service != null) service.close();
    }

    @Test
    void vncsnapshotSeesTheHostsCopyOfTheScreen() throws Exception {
        Path vncsnapshot = ExternalTool.require("vncsnapshot", "vncsnapshot");
        String id = api.post(
                        "/api/v1/vms",
                        "{\"name\":\"vnc1\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"screen\"}}")
                .json()
                .get("id")
                .asText();
        var off = api.get("/api/v1/vms/" + id + "/vnc").json();
        assertThat(off.get("enabled").asBoolean()).isFalse(); // off by default
        var set = api.send("PUT", "/api/v1/vms/" + id + "/vnc", "{\"enabled\":true,\"password\":\"pw-1234\"}");
        assertThat(set.status()).isEqualTo(200);
        assertThat(set.body()).doesNotContain("pw-1234").contains("\"passwordSet\":true");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitConsole(id, "login: ");
        int port = awaitPort(id);

        Path dir = Files.createTempDirectory("vncsnapshot");
        Path passwd = dir.resolve("passwd");
        Files.write(passwd, vncPasswdFile("pw-1234"));
        Path jpeg = dir.resolve("screen.jpg");
        var r = ExternalTool.sh(vncsnapshot + " -quiet -passwd " + passwd + " -encodings raw -quality 100 127.0.0.1:"
                + (port - VncServer.FIRST_PORT) + " " + jpeg);
        assertThat(r.exit()).as(r.output()).isZero();
        Framebuffer seen = Png.read(Files.readAllBytes(jpeg)); // ImageIO reads JPEG as well
        Framebuffer host = Png.read(api.getBytes("/api/v1/vms/" + id + "/screenshot"));
        assertThat(new int[] {seen.width(), seen.height()})
                .containsExactly(ScriptedScreen.WIDTH, ScriptedScreen.HEIGHT);
        assertThat(host.pixel(5, 5)).isEqualTo(ScriptedScreen.initial(5, 5)); // the host's copy is what the guest drew
        long total = 0, far = 0;
        for (int i = 0; i < host.pixels().length; i++) {
            int a = host.pixels()[i], b = seen.pixels()[i];
            int d = Math.abs((a >>> 16) - (b >>> 16))
                    + Math.abs((a >>> 8 & 0xFF) - (b >>> 8 & 0xFF))
                    + Math.abs((a & 0xFF) - (b & 0xFF));
            total += d;
            if (d > 48) far++;
        }
        double mean = (double) total / host.pixels().length / 3;
        System.out.printf(
                "vncsnapshot vs host copy: mean error %.2f per channel, %d of %d pixels off by more than 48%n",
                mean, far, host.pixels().length);
        assertThat(mean).isLessThan(3.0);
        assertThat(far).isLessThan(host.pixels().length / 200);

        // A wrong password gets nothing.
        Files.write(passwd, vncPasswdFile("wrong"));
        var refused = ExternalTool.sh(vncsnapshot + " -quiet -passwd " + passwd + " 127.0.0.1:"
                + (port - VncServer.FIRST_PORT) + " " + dir.resolve("no.jpg"));
        assertThat(refused.exit()).isNotZero();
        assertThat(dir.resolve("no.jpg")).doesNotExist();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        assertThat(api.get("/api/v1/vms/" + id + "/vnc")
                        .json()
                        .get("activePort")
                        .isNull())
                .isTrue();
    }

    private static int awaitPort(String id) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            var p = api.get("/api/v1/vms/" + id + "/vnc").json().get("activePort");
            if (p != null && !p.isNull()) return p.asInt();
            Thread.sleep(100);
        }
        throw new AssertionError("the VM's VNC server never listened");
    }

    /**
     * The file vncpasswd writes: the password (8 bytes, zero-padded) DES-encrypted under VNC's fixed key, with the
     * same bit-reversed key bytes as the challenge (VncAuth reverses them).
     */
    static byte[] vncPasswdFile(String password) {
        byte[] fixed = {23, 82, 107, 6, 35, 78, 88, 7};
        byte[] plain = java.util.Arrays.copyOf(password.getBytes(StandardCharsets.ISO_8859_1), 8);
        return VncAuth.response(plain, new String(fixed, StandardCharsets.ISO_8859_1));
    }
}
