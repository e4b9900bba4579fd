package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Save-VM and Move-VM with Debian's stock kernel (acceptance, nested-KVM host), next to QEMU/KVM's own save and
 * restore of the same guest in the same nested host.
 *
 * <p>Two `viridian serve` services (two state directories, one disk directory both see) run in the nested host. A
 * 512 MiB stock Linux guest, whose /init writes a fresh random 64 KiB block to its StorVSP disk every second (fsync'd)
 * and remembers each block's md5, is saved half-way through the loop (`vm save`), kept saved a few seconds, resumed
 * (`vm start`), and then moved to the second service (`vm move --to`, quick migration). The loop must finish there and
 * read every block back with its md5 (no write lost or torn across the save or the move), the guest's uptime must go
 * on (no second boot), the heartbeat must answer after the move, and the guest's clock must be the host's again (time
 * sync after the restore). Then QEMU boots the same kernel and initramfs with 512 MiB and is saved the way `virsh
 * save` does it (stop, migrate to a file) and restored (-incoming from the file, cont); both engines' save time,
 * restore time and state-file size are printed side by side.
 *
 * <p>mvn -B verify -P acceptance -pl app -Dit.test=StockLinuxSaveRestoreIT -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false
 */
@Tag("acceptance")
class StockLinuxSaveRestoreIT {
    private static final int BLOCKS = 40;
    private static NestedKvmHost.Outcome viridian;
    private static NestedKvmHost.Outcome qemu;
    /** Whether the guest runs Debian's hv_kvp_daemon (package hyperv-daemons), without which Linux never answers KVP. */
    private static boolean kvpDaemon;

    @BeforeAll
    static void saveResumeAndMoveStockLinux() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        InitrdModules modules = InitrdModules.of(List.of("hv_vmbus", "hv_utils", "hv_storvsc", "sd_mod"));
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                %s
                hostname sr-guest
                # KVP from the first boot on: it must still answer after the restore and after the move.
                if [ -x /sbin/hv_kvp_daemon ]; then mkdir -p /var/lib; /sbin/hv_kvp_daemon -n >/dev/null 2>&1 & fi
                for t in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
                echo "SR: boot, disk $(cat /sys/block/sda/size 2>/dev/null) sectors"
                i=1
                while [ $i -le %d ]; do
                  dd if=/dev/urandom of=/tmp/b$i bs=64k count=1 2>/dev/null
                  md5sum < /tmp/b$i | cut -d' ' -f1 > /tmp/m$i
                  dd if=/tmp/b$i of=/dev/sda bs=64k seek=$i conv=fsync 2>/dev/null
                  echo "SR: loop $i up=$(cut -d' ' -f1 /proc/uptime) clock=$(date -u +%%s)"
                  i=$((i + 1))
                  sleep 1
                done
                echo 3 > /proc/sys/vm/drop_caches
                bad=0; i=1
                while [ $i -le %d ]; do
                  got=$(dd if=/dev/sda bs=64k skip=$i count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
                  [ "$got" = "$(cat /tmp/m$i)" ] || { bad=$((bad + 1)); echo "SR: block $i differs"; }
                  i=$((i + 1))
                done
                echo "SR: verified %d blocks, $bad bad"
                sleep 40
                echo "SR: final clock=$(date -u +%%s)"
                poweroff -f
                """
                        .formatted(modules.insmods(), BLOCKS, BLOCKS, BLOCKS);
        Map<String, Path> guestFiles = new HashMap<>(modules.files());
        Map<String, Path> kvp = KvpGuestFiles.forHost("sr-guest", "Viridian save-restore guest");
        kvpDaemon = !kvp.isEmpty();
        guestFiles.putAll(kvp);
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, guestFiles);
        Map<String, byte[]> files = new HashMap<>();
        files.put("vmlinuz", NestedKvmHost.stockKernel());
        files.put("sr-initrd.gz", initrd);
        files.put("viridian-sr.sh", resource("viridian-sr.sh"));
        files.put("qemu-sr.sh", resource("qemu-sr.sh"));
        NestedKvmHost.Run r = NestedKvmHost.run(
                jar,
                files,
                NestedKvmHost.qemuKvm(),
                List.of(
                        new NestedKvmHost.Command("viridian-sr", "sh viridian-sr.sh", 1200),
                        new NestedKvmHost.Command("qemu-sr", "sh qemu-sr.sh", 600)),
                Duration.ofMinutes(32));
        viridian = r.get("viridian-sr");
        qemu = r.get("qemu-sr");
        System.out.printf(
                "stock Linux saved, resumed and moved in Viridian (nested KVM): rc=%d in %d s%n%s%n"
                        + "QEMU/KVM, same kernel and initramfs, 512 MiB: rc=%d in %d s%n%s%n",
                viridian.rc(),
                viridian.seconds(),
                lines(viridian.output(), "SR"),
                qemu.rc(),
                qemu.seconds(),
                lines(qemu.output(), "QSR"));
        System.out.printf(
                "save/restore of a 512 MiB stock Linux guest, same nested host, same run%n%-18s | %-10s | %-10s%n"
                        + "%-18s | %-10s | %-10s%n%-18s | %-10s | %-10s%n%-18s | %-10s | %-10s%n%-18s | %-10s | -%n",
                "",
                "Viridian",
                "QEMU",
                "save (ms)",
                figure(viridian, "save ms="),
                figure(qemu, "save ms="),
                "restore (ms)",
                figure(viridian, "start ms="),
                figure(qemu, "restore ms="),
                "state file (bytes)",
                figure(viridian, "file bytes="),
                figure(qemu, "file bytes="),
                "vm move pause (ms)",
                figure(viridian, "guest-visible pause "));
    }

    private static byte[] resource(String name) throws java.io.IOException {
        try (var in = StockLinuxSaveRestoreIT.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static String lines(String out, String prefix) {
        return out.lines().filter(l -> l.contains(prefix)).reduce("", (a, b) -> a + b + "\n");
    }

    private static String figure(NestedKvmHost.Outcome o, String key) {
        Matcher m = Pattern.compile(Pattern.quote(key) + "(\\d+)").matcher(o.output());
        return m.find() ? m.group(1) : "?";
    }

    @Test
    void theWriteLoopRunsOnAfterSaveRestoreAndMoveAndEveryBlockIsOnTheDisk() {
        String out = viridian.output();
        assertThat(out)
                .contains("SR-HOST: save rc=0")
                .contains("SR-HOST: state saved")
                .contains("SR-HOST: start rc=0")
                .contains("SR-HOST: move rc=0");
        assertThat(out).contains("SR-DEST: SR: verified " + BLOCKS + " blocks, 0 bad");
        // One boot, on the first host; the second only resumed it.
        assertThat(out).containsOnlyOnce("SR-SOURCE: SR: boot");
        assertThat(out).doesNotContain("SR-DEST: SR: boot");
        // The loop's lines in order with the guest's uptime never going back, each number at most once (lines the
        // guest printed between the last look at the source's console and the move are in neither listing).
        Matcher m = Pattern.compile("SR-(SOURCE|DEST): SR: loop (\\d+) up=([0-9.]+)")
                .matcher(out);
        Set<Integer> seen = new LinkedHashSet<>();
        int last = 0;
        double lastUp = 0;
        boolean dest = false;
        while (m.find()) {
            int n = Integer.parseInt(m.group(2));
            double up = Double.parseDouble(m.group(3));
            if (m.group(1).equals("DEST")) dest = true;
            assertThat(n).isGreaterThan(last);
            assertThat(up).isGreaterThan(lastUp);
            assertThat(seen.add(n)).isTrue();
            last = n;
            lastUp = up;
        }
        assertThat(dest).as("loop lines after the move").isTrue();
        assertThat(last).isEqualTo(BLOCKS);
    }

    @Test
    void theHeartbeatAnswersAndTimeSyncSetsTheClockAfterTheMove() {
        String out = viridian.output();
        assertThat(out).containsPattern("(?i)SR-HOST: guest .*\"heartbeat\" *: *\"ok\"");
        if (kvpDaemon)
            assertThat(out)
                    .as("KVP answers on the destination, after a restore and a move")
                    .containsPattern("SR-HOST: guest .*\"kvp\" *: *\"ok\"")
                    .containsPattern("SR-HOST: guest .*\"fullyQualifiedDomainName\" *: *\"sr-guest"
                            + java.util.regex.Pattern.quote(KvpGuestFiles.DOMAIN) + "\"");
        Matcher host = Pattern.compile("SR-HOST: host clock=(\\d+)").matcher(out);
        Matcher guest = Pattern.compile("SR: final clock=(\\d+)").matcher(out);
        assertThat(host.find() && guest.find()).as(out).isTrue();
        // The guest's clock stood still while it was saved and moved; time sync brings it back to the host's.
        assertThat(Math.abs(Long.parseLong(guest.group(1)) - Long.parseLong(host.group(1))))
                .isLessThan(15);
    }

    @Test
    void qemuSavedAndRestoredTheSameGuestForTheComparison() {
        assertThat(qemu.output()).contains("QSR: save done").contains("QSR: restored, running");
    }
}
