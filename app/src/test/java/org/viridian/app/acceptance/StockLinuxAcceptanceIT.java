package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/**
 * Acceptance (mvn -P acceptance verify): Debian's stock cloud kernel boots in Viridian with an initramfs holding
 * busybox
 * and the kernel's own Hyper-V drivers (hv_vmbus, hv_utils, hv_storvsc, hv_netvsc, hv_balloon and what they depend on);
 * its /init loads them and reports on the serial console what the kernel made of Viridian's machine. Runs in the
 * nested KVM host (see NestedKvmHost), the only KVM this machine has. Each device issue adds its own step here.
 */
@Tag("acceptance")
class StockLinuxAcceptanceIT {
    static final List<String> HV_DRIVERS = List.of("hv_vmbus", "hv_utils", "hv_storvsc", "hv_netvsc", "hv_balloon");
    /** The graphical console's drivers (synthetic video, keyboard, mouse) and evdev, through which /init reads input. */
    static final List<String> CONSOLE_DRIVERS = List.of("hyperv_fb", "hyperv_keyboard", "hid_hyperv", "evdev");

    private static final Pattern LOADED = Pattern.compile("^ACCEPT: insmod (\\S+) rc=(\\d+)", Pattern.MULTILINE);

    private static NestedKvmHost.Outcome linux, shutdown;
    /**
     * Whether the guest runs Debian's hv_kvp_daemon (package hyperv-daemons), without which Linux never answers KVP.
     */
    private static boolean kvpDaemon;
    /** Where the guest's clock is set before hv_utils loads: time sync must bring it back to the host's. */
    private static final long WRONG_CLOCK = 946_684_800L; // 2000-01-01T00:00:00Z

    private static final Pattern GUEST_CLOCK =
            Pattern.compile("^ACCEPT: guest clock after hv_utils (\\d+)", Pattern.MULTILINE);

    @BeforeAll
    static void bootStockLinux() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        // sd_mod: the SCSI disk driver that turns StorVSP's LUNs into /dev/sd*.
        List<Path> modules = new KernelModules(DebianKernel.modules())
                .closure(java.util.stream.Stream.of(HV_DRIVERS, CONSOLE_DRIVERS, List.of("sd_mod"))
                        .flatMap(List::stream)
                        .toList());
        Map<String, Path> files = new LinkedHashMap<>();
        StringBuilder insmods = new StringBuilder();
        for (Path ko : modules) {
            String name = ko.getFileName().toString();
            files.put("lib/modules/" + name, ko);
            insmods.append("insmod /lib/modules/")
                    .append(name)
                    .append(" 2>&1; echo \"ACCEPT: insmod ")
                    .append(name, 0, name.length() - 3)
                    .append(" rc=$?\"\n");
        }
        Map<String, Path> kvp = KvpGuestFiles.forHost("accept-guest", "Viridian acceptance guest");
        kvpDaemon = !kvp.isEmpty();
        files.putAll(kvp);
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                uptime=$(cut -d' ' -f1 /proc/uptime); cpus=$(grep -c ^processor /proc/cpuinfo)
                echo "ACCEPT: /init reached at $uptime s of guest uptime on $(uname -r), $cpus cpu(s)"
                dmesg | grep -i -e 'hypervisor detected' -e 'hyper-v' -e hyperv -e 'clocksource' -e 'tsc:' |
                  sed 's/^/ACCEPT-DMESG: /'
                dmesg | grep -A3 -e 'WARNING:' -e 'BUG:' -e 'Oops' -e 'unchecked MSR' | sed 's/^/ACCEPT-WARN: /'
                echo "ACCEPT: clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
                hostname accept-guest
                date -u -s '2000-01-01 00:00:00' >/dev/null
                echo "ACCEPT: guest clock set back to $(date -u +%%s)"
                # The VT's line discipline keeps what the synthetic keyboard types only while tty1 is open: open it
                # before hyperv_keyboard loads; the host types "echo typed-ok" as soon as the driver is ready.
                exec 3</dev/tty1
                %s
                sleep 1
                echo "ACCEPT: guest clock after hv_utils $(date -u +%%s)"
                if [ -x /sbin/hv_kvp_daemon ]; then
                  mkdir -p /var/lib  # the daemon makes /var/lib/hyperv but not its parents (it exits if it cannot)
                  /sbin/hv_kvp_daemon -n 2>&1 | sed 's/^/ACCEPT-KVPD: /' &
                  sleep 6
                  dmesg | grep -e 'KVP' | sed 's/^/ACCEPT-DMESG: /'
                  # A pool record: key[512], value[2048], each NUL-terminated (the daemon leaves garbage after the NUL).
                  key=$(head -c 512 /var/lib/hyperv/.kvp_pool_0 | tr '\\0' '\\n' | head -n 1)
                  value=$(dd if=/var/lib/hyperv/.kvp_pool_0 bs=512 skip=1 count=4 2>/dev/null |
                    tr '\\0' '\\n' | head -n 1)
                  echo "ACCEPT: kvp external pool: $key=$value"
                fi
                dmesg | grep -i -e vmbus -e hv_ | grep -v 'Unknown symbol' | sed 's/^/ACCEPT-DMESG: /'
                dmesg | grep -e hyperv_fb -e hid-generic -e 'input:' -e hid_hyperv -e 'PCI' -e 'pci ' -e fbcon \\
                  -e 'Console:' | sed 's/^/ACCEPT-DMESG: /'
                echo "ACCEPT: fb0 $(cat /sys/class/graphics/fb0/name 2>/dev/null)"
                echo "VIRIDIAN SYNTHETIC VIDEO: THE CONSOLE ON THE FRAMEBUFFER" > /dev/tty1
                for e in /sys/class/input/event*; do
                  grep -q Vmbus $e/device/name 2>/dev/null && mouse=/dev/input/$(basename $e)
                done
                if [ -n "$mouse" ]; then
                  cat $mouse > /tmp/mouse.bin & reader=$!
                  sleep 12  # the host clicks every 5 s
                  kill $reader
                  # struct input_event: 16 bytes of time, then type EV_KEY (1), code BTN_LEFT (0x110), value 1.
                  pressed=$(od -An -v -tx1 /tmp/mouse.bin | tr -d ' \n' | grep -c 0100100101000000)
                  echo "ACCEPT: mouse $mouse: $(wc -c < /tmp/mouse.bin) bytes of events, left button pressed: $pressed"
                else
                  echo "ACCEPT: no Vmbus mouse input device"
                fi
                read -t 30 -r typed <&3
                echo "ACCEPT: tty1 read: $typed"
                for d in /sys/bus/vmbus/devices/*; do
                  [ -e "$d" ] || continue
                  driver=$(basename $(readlink $d/driver) 2>/dev/null)
                  echo "ACCEPT: vmbus device $(cat $d/class_id 2>/dev/null) driver $driver"
                done
                echo "ACCEPT: hv drivers registered: $(ls /sys/bus/vmbus/drivers 2>/dev/null | tr '\\n' ' ')"
                for t in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
                if [ -b /dev/sda ]; then
                  sda=/sys/block/sda; size=$(cat $sda/size); vendor=$(cat $sda/device/vendor)
                  model=$(cat $sda/device/model); discard=$(cat $sda/queue/discard_max_bytes)
                  echo "ACCEPT: disk sda $size sectors, vendor $vendor model $model, discard max $discard"
                  dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 2>/dev/null
                  echo "ACCEPT: disk pattern md5 $(md5sum < /tmp/pattern | cut -d' ' -f1)"
                  dd if=/tmp/pattern of=/dev/sda bs=64k seek=16 conv=fsync 2>&1 | tail -n 1 | sed 's/^/ACCEPT-DD: /'
                  echo 3 > /proc/sys/vm/drop_caches
                  readback=$(dd if=/dev/sda bs=64k skip=16 count=16 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
                  echo "ACCEPT: disk read back md5 $readback"
                  blkdiscard -o 33554432 -l 8388608 /dev/sda && echo "ACCEPT: blkdiscard rc=0"
                  echo "ACCEPT: storvsc channels $(ls /sys/bus/vmbus/drivers/hv_storvsc/*/channels 2>/dev/null | wc -l)"
                else
                  echo "ACCEPT: no /dev/sda"
                fi
                dmesg | grep -e 'sd 0:' -e 'scsi host' -e 'scsi 0:' -e 'sda' | sed 's/^/ACCEPT-DMESG: /'
                if grep -q accept.wait /proc/cmdline; then
                  echo "ACCEPT: waiting for the host to shut this guest down"
                  sleep 120
                  echo "ACCEPT: still running after 120 s"
                fi
                echo "ACCEPT: done at $(cut -d' ' -f1 /proc/uptime) s"
                poweroff -f
                """
                        .formatted(insmods);
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, files);
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "accept-initrd.gz", initrd),
                List.of(
                        new NestedKvmHost.Command(
                                "linux",
                                "viridian vhd create disk.vhdx --size 256M >/dev/null;"
                                        + " viridian run --kernel vmlinuz --initrd accept-initrd.gz --disk disk.vhdx"
                                        + " --memory 512M --cpus 2 --kvp-dump --kvp-push ViridianHost=acceptance"
                                        + " --type 'echo typed-ok\\n' --click 16384,16384 --screenshot screen.png"
                                        + " --cmdline 'console=ttyS0 quiet panic=-1 reboot=k'; rc=$?;"
                                        // After the VM: the image is consistent and holds what the guest wrote at 1
                                        // MiB.
                                        + " viridian vhd check disk.vhdx >/dev/null && echo 'ACCEPT-HOST: vhd "
                                        + "check ok';"
                                        + " viridian vhd convert disk.vhdx disk.raw >/dev/null;"
                                        + " echo \"ACCEPT-HOST: md5 at 1 MiB $(dd if=disk.raw bs=64k skip=16 "
                                        + "count=16 2>/dev/null | md5sum | cut -d' ' -f1)\";"
                                        + " [ -f screen.png ] && echo \"ACCEPT-HOST: screenshot $(wc -c < screen.png) bytes\";"
                                        + " exit $rc"),
                        new NestedKvmHost.Command(
                                "shutdown",
                                "viridian run --kernel vmlinuz --initrd accept-initrd.gz"
                                        + " --memory 512M --cpus 2 --shutdown-after 5 --cmdline 'console=ttyS0 "
                                        + "quiet panic=-1 reboot=k accept.wait'")),
                // Two boots take about a minute; a hang must fail the run soon, not after the default timeout.
                Duration.ofMinutes(6));
        linux = run.get("linux");
        shutdown = run.get("shutdown");
        System.out.printf(
                "stock Linux in Viridian (nested KVM): rc=%d in %d s%n%s%n",
                linux.rc(),
                linux.seconds(),
                linux.output()
                        .lines()
                        .filter(l -> l.startsWith("ACCEPT") || l.startsWith("hv: ") || l.startsWith("viridian: "))
                        .reduce("", (a, b) -> a + b + "\n"));
        System.out.printf("host clock when the run ended: %d%n", System.currentTimeMillis() / 1000);
    }

    @Test
    void hvStorvscWritesThroughStorVspAndTheImageHoldsTheData() {
        String out = linux.output();
        assertThat(out).containsPattern("ACCEPT: disk sda 524288 sectors, vendor Msft +model Virtual Disk");
        Matcher written =
                Pattern.compile("ACCEPT: disk pattern md5 ([0-9a-f]{32})").matcher(out);
        assertThat(written.find()).as(out).isTrue();
        assertThat(out)
                .contains("ACCEPT: disk read back md5 " + written.group(1))
                .contains("ACCEPT-HOST: vhd check ok")
                .contains("ACCEPT-HOST: md5 at 1 MiB " + written.group(1))
                .contains("ACCEPT: blkdiscard rc=0")
                // Two VPs: the primary channel and one sub-channel, which Linux asked for and opened.
                .contains("ACCEPT: storvsc channels 2");
    }

    @Test
    void theStockKernelReachesInitAndPowersOff() {
        assertThat(linux.output()).contains("ACCEPT: /init reached").contains("ACCEPT: done");
        assertThat(linux.rc()).as("ACPI power-off ends the VM with status 0").isZero();
    }

    @Test
    void theHostShutsTheGuestDownGracefullyThroughItsShutdownService() {
        System.out.println("graceful shutdown run: rc=" + shutdown.rc() + " in " + shutdown.seconds() + " s\n"
                + shutdown.output()
                        .lines()
                        .filter(l -> l.startsWith("ACCEPT: /init") || l.startsWith("viridian: "))
                        .reduce("", (a, b) -> a + b + "\n"));
        // This guest's /init never powers off by itself before sleeping 120 s; the host asks as soon as the guest's
        // shutdown service is open (often while /init is still loading modules).
        assertThat(shutdown.output())
                .contains("ACCEPT: /init reached")
                .contains("viridian: asked the guest to shut down gracefully")
                .doesNotContain("still running after 120 s")
                .doesNotContain("ACCEPT: done");
        assertThat(shutdown.rc())
                .as("the guest powered itself off (ACPI S5):\n" + shutdown.output())
                .isZero();
        assertThat(shutdown.seconds()).isLessThan(100);
    }

    @Test
    void theEnlightenedKernelMeetsNoUnimplementedMsrOrWarning() {
        assertThat(linux.output()).doesNotContain("ACCEPT-WARN:");
    }

    @Test
    void everyHyperVDriverAndItsDependenciesIsTriedAndReported() {
        Matcher m = LOADED.matcher(linux.output());
        Map<String, Integer> rc = new LinkedHashMap<>();
        while (m.find()) rc.put(m.group(1).replace('-', '_'), Integer.parseInt(m.group(2)));
        assertThat(rc.keySet()).containsAll(HV_DRIVERS);
        assertThat(linux.output()).contains("ACCEPT: hv drivers registered:");
    }

    @Test
    void theKernelDetectsHyperVAndRunsOnItsReferenceTscPage() {
        assertThat(linux.output()).contains("Hypervisor detected: Microsoft Hyper-V");
        // The enlightened clock: the kernel found the TSC page valid (sequence, scale) and switched to it.
        assertThat(linux.output()).contains("ACCEPT: clocksource hyperv_clocksource_tsc_page");
    }

    @Test
    void hvVmbusNegotiatesTheNewestVersionAndEveryDriverLoadsAndRegisters() {
        assertThat(linux.output()).contains("hv_vmbus: Vmbus version:5.3");
        Matcher m = LOADED.matcher(linux.output());
        while (m.find())
            assertThat(Integer.parseInt(m.group(2))).as("insmod " + m.group(1)).isZero();
        assertThat(linux.output())
                .contains("ACCEPT: hv drivers registered: hid_hyperv hv_balloon hv_netvsc hv_storvsc hv_utils"
                        + " hyperv_fb hyperv_keyboard");
    }

    @Test
    void aKeyTypedByTheHostReachesTheGuestsConsole() {
        // synthetic keyboard → hyperv_keyboard → atkbd → the VT's keyboard handler → tty1's line discipline.
        assertThat(linux.output())
                .contains("ACCEPT: vmbus device {f912ad6d-2b17-48ea-bd65-f927a61c7684} driver hyperv_keyboard")
                .containsPattern("viridian: keyboard: typed \\d+ key events\n")
                .contains("ACCEPT: tty1 read: echo typed-ok");
    }

    @Test
    void aMouseClickByTheHostReachesTheGuestsEvdev() {
        assertThat(linux.output())
                .contains("ACCEPT: vmbus device {cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a} driver hid_hyperv")
                .containsPattern(
                        "ACCEPT: mouse /dev/input/event\\d+: [1-9]\\d* bytes of events, left button pressed: 1");
    }

    /**
     * hyperv_fb negotiates synthvid 3.5, takes the host's default resolution, finds Hyper-V's PCI video function
     * (a BIOS-booted guest's hyperv_fb looks for it), takes its VRAM from its RAM and tells the host where; fbcon
     * then draws the console there, and /init writes a line to it: the host's copy of the screen has that text.
     */
    @Test
    void theConsoleAppearsOnTheSyntheticFramebuffer() {
        assertThat(linux.output())
                .contains("hyperv_fb: Synthvid Version major 3, minor 5")
                .contains("hyperv_fb: Screen resolution: 1024x768, Color depth: 32, Frame buffer size: 4194304")
                .contains("ACCEPT: vmbus device {da0a7802-e377-4aac-8e77-0558eb1073f8} driver hyperv_fb")
                .contains("ACCEPT: fb0 hyperv_fb")
                .containsPattern(
                        "viridian: video: synthvid 3.5, VRAM at 0x[0-9a-f]+, mode 1024x768x32, 0 messages refused")
                .containsPattern("ACCEPT-HOST: screenshot [1-9]\\d+ bytes");
        Matcher m = Pattern.compile(
                        "viridian: video: screen 1024x768, background 0x([0-9a-f]{6}), (\\d+) pixels of other colours")
                .matcher(linux.output());
        assertThat(m.find()).as(linux.output()).isTrue();
        // Two lines of 8x16 text at least: far more than a cursor (a block of 8x16 pixels at most).
        assertThat(Integer.parseInt(m.group(2))).isGreaterThan(500);
    }

    @Test
    void theOfferedHeartbeatChannelIsOpenedAndBoundByHvUtils() {
        // Offer, GPADL and OPEN_CHANNEL all succeeded: hv_utils' probe opens the channel before it binds.
        assertThat(linux.output())
                .contains("ACCEPT: vmbus device {57164f39-9115-4e78-ab55-382f3bd5422d} driver hv_utils");
        // The host negotiated the IC framework and heartbeat versions over the channel's rings.
        assertThat(linux.output()).contains("Heartbeat IC version 3.0");
        // ... and the guest answered the host's heartbeats: the host saw it alive.
        assertThat(linux.output())
                .containsPattern("viridian: heartbeat: the guest answered heartbeat \\d+ \\(IC version 3.0\\)");
    }

    @Test
    void timeSyncSetsTheGuestsWrongClockToTheHostsTime() {
        assertThat(linux.output())
                .contains("ACCEPT: vmbus device {9527e630-d0ae-497b-adce-e80ab0175caf} driver hv_utils")
                .contains("TimeSync IC version 4.0")
                .contains("ACCEPT: guest clock set back to " + WRONG_CLOCK);
        Matcher m = GUEST_CLOCK.matcher(linux.output());
        assertThat(m.find()).as(linux.output()).isTrue();
        long guest = Long.parseLong(m.group(1)), host = System.currentTimeMillis() / 1000;
        // The run ended moments ago; the nested host's clock (QEMU's RTC) follows this machine's within seconds.
        assertThat(guest).as("the guest's clock after the SYNC sample").isBetween(host - 600, host);
        assertThat(linux.output()).containsPattern("viridian: time sync: \\d+ time samples sent \\(IC version 4.0\\)");
    }

    @Test
    void kvpIsBoundAndWithTheDaemonTheHostReadsTheGuestsIdentityAndPushesAKey() {
        assertThat(linux.output())
                .contains("ACCEPT: vmbus device {a9a0f4e7-5a45-4d96-b827-8a841e8c03e6} driver hv_utils");
        assumeTrue(kvpDaemon, "hv_kvp_daemon (Debian package hyperv-daemons) not available on this machine");
        assertThat(linux.output())
                .contains("KVP IC version 4.0")
                .contains("viridian: kvp: auto OSName=Viridian acceptance guest")
                .contains("viridian: kvp: auto FullyQualifiedDomainName=accept-guest.viridian.test")
                .contains("viridian: kvp: pushed ViridianHost into the guest's external pool")
                .contains("ACCEPT: kvp external pool: ViridianHost=acceptance");
    }
}
