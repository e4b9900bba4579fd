package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * The VNC console with Debian's stock kernel (acceptance, nested-KVM host): `viridian serve` runs a stock Linux guest
 * whose hyperv_fb carries its text console (fbcon), the VM's VNC console is switched on with `vm set --vnc
 * --vnc-password`, and Debian's vncsnapshot, a real VNC client, takes a screenshot through it inside the nested host.
 * That screenshot must equal the host's copy of the screen (REST screenshot) within JPEG's loss (vncsnapshot writes
 * only JPEG), and the host's copy must show the text the guest wrote.
 */
@Tag("acceptance")
class StockLinuxVncIT {
    private static final String PASSWORD = "vnc-pw1";
    private static NestedKvmHost.Outcome run;

    @BeforeAll
    static void snapshotStockLinuxOverVnc() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> vncsnapshot =
                NestedKvmHost.dynamicProgram("vncsnapshot", "vncsnapshot", "usr/bin/vncsnapshot");
        assumeTrue(!vncsnapshot.isEmpty(), "vncsnapshot (Debian package vncsnapshot) is not available");
        InitrdModules modules = InitrdModules.of(List.of("hv_vmbus", "hyperv_fb", "hyperv_keyboard", "hid_hyperv"));
        // fbcon's cursor blinks: hidden and still, so the two pictures taken a moment apart show the same screen.
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                %s
                sleep 2
                echo 0 > /sys/class/graphics/fbcon/cursor_blink 2>/dev/null
                printf '\\033[?25l\\033[2J\\033[H' > /dev/tty1
                echo "VIRIDIAN VNC ACCEPTANCE: THE CONSOLE ON THE FRAMEBUFFER" > /dev/tty1
                echo "VNC: fb0 $(cat /sys/class/graphics/fb0/name 2>/dev/null)"
                echo "VNC: ready"
                sleep 3000
                """
                        .formatted(modules.insmods());
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, modules.files());
        String waitFor =
                "for t in $(seq 1 200); do wget -qO- $API/vms/linux/console 2>/dev/null | grep -q \"$1\" && return 0;"
                        + " sleep 2; done; echo \"VNC-HOST: gave up waiting for '$1'\" | tee /dev/console;"
                        + " wget -qO- $API/vms/linux/console | tail -n 40 | sed 's/^/VNC-CONSOLE: /'; return 1";
        // Progress goes to the nested host's console as it happens (p), so a run that is killed shows how far it got;
        // the service is waited for by its REST API (busybox wget, not a JVM per try) and its log shown if it died.
        String script = "API=http://127.0.0.1:7480/api/v1; w() { " + waitFor + "; };"
                + " p() { echo \"VNC-HOST: $*\" | tee /dev/console; };"
                + " viridian serve --state-dir /tmp/vnc > serve.log 2>&1 & S=$!; p serve started;"
                + " for t in $(seq 1 300); do wget -qO- $API/vms >/dev/null 2>&1 && break;"
                + " kill -0 $S 2>/dev/null || { p serve died; sed 's/^/VNC-SERVE: /' serve.log; exit 1; }; sleep 1; done;"
                + " p serving;"
                + " viridian vm create linux --kernel $PWD/vmlinuz --initrd $PWD/vnc-initrd.gz --memory 512M --cpus 1"
                + " --cmdline 'console=ttyS0 quiet panic=-1 reboot=k' >/dev/null; p created;"
                + " viridian vm set linux --vnc --vnc-password " + PASSWORD + " | grep -i vnc | sed 's/^/VNC-HOST: /';"
                + " viridian vm start linux | sed 's/^/VNC-HOST: /'; p started; w 'VNC: ready' || { kill $S; exit 1; };"
                + " p guest ready; sleep 8;"
                + " port=$(wget -qO- $API/vms/linux/vnc | grep -o '\"activePort\" *: *[0-9]*' | grep -o '[0-9]*$');"
                + " echo \"VNC-HOST: port $port\";"
                + " /usr/bin/vncsnapshot -quiet -passwd vnc-passwd -encodings raw -quality 100"
                + " 127.0.0.1:$((port - 5900)) snap.jpg; echo \"VNC-HOST: vncsnapshot rc=$?\";"
                + " wget -qO host.png $API/vms/linux/screenshot; echo \"VNC-HOST: screenshot rc=$?\";"
                + " for f in snap.jpg host.png; do echo \"@@@B64 $f\"; base64 $f; echo @@@B64END; done;"
                + " wget -qO- $API/vms/linux/console | grep VNC: | sed 's/^/VNC-CONSOLE: /'; kill $S";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("vmlinuz", NestedKvmHost.stockKernel());
        files.put("vnc-initrd.gz", initrd);
        files.put("vnc-passwd", Vncsnapshot.passwdFile(PASSWORD));
        NestedKvmHost.Run r = NestedKvmHost.run(
                jar,
                files,
                vncsnapshot,
                List.of(new NestedKvmHost.Command("vnc", script, 900)),
                Duration.ofMinutes(16));
        run = r.get("vnc");
        System.out.printf(
                "stock Linux's screen over VNC in Viridian (nested KVM): rc=%d in %d s%n%s%n",
                run.rc(),
                run.seconds(),
                run.output().lines().filter(l -> l.contains("VNC")).reduce("", (a, b) -> a + b + "\n"));
    }

    private static Map<String, BufferedImage> images(String out) throws Exception {
        Map<String, BufferedImage> m = new HashMap<>();
        Matcher b = Pattern.compile("@@@B64 (\\S+)\\n(.*?)@@@B64END", Pattern.DOTALL)
                .matcher(out);
        while (b.find()) {
            byte[] bytes = Base64.getMimeDecoder().decode(b.group(2).replaceAll("[^A-Za-z0-9+/=]", ""));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
            if (img != null) m.put(b.group(1), img);
        }
        return m;
    }

    @Test
    void vncsnapshotsPictureIsTheHostsCopyOfTheStockLinuxConsole() throws Exception {
        String out = run.output();
        assertThat(out)
                .contains("VNC: fb0 hyperv_fb")
                .contains("VNC-HOST: vncsnapshot rc=0")
                .contains("VNC-HOST: screenshot rc=0")
                .containsPattern("with a password");
        Map<String, BufferedImage> img = images(out);
        BufferedImage snap = img.get("snap.jpg"), host = img.get("host.png");
        assertThat(snap).as("vncsnapshot's JPEG").isNotNull();
        assertThat(host).as("the host's PNG").isNotNull();
        VncPicture p = VncPicture.compare(host, snap);
        System.out.println("vncsnapshot vs host copy " + p);
        assertThat(p.textPixels()).as("the guest's text on the host's copy").isGreaterThan(200);
        assertThat(p.sameScreen())
                .as("vncsnapshot's picture is the host's copy: %s", p)
                .isTrue();
    }
}
