package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Acceptance (mvn -P acceptance verify -Dit.test=SmpHypercallsIT): Debian's stock kernel on 2 VPs takes the TLB-flush
 * and IPI hypercalls Viridian recommends (its dmesg says so and no TLB-shootdown IPI is ever received), and a
 * fork-heavy load runs once with them and once without ({@code --hv-no-smp-hypercalls}) in the same nested host, so
 * what they save is printed as same-run figures: elapsed time and TLB-shootdown IPIs.
 */
@Tag("acceptance")
class SmpHypercallsIT {
    private static final Pattern RESULT =
            Pattern.compile("^SMP-(\\w+): seconds=([0-9.]+) tlb=(\\d+) rounds=(\\d+)$", Pattern.MULTILINE);

    @Test
    void stockLinuxFlushesAndInterruptsThroughTheHypercallsAndTheirSavingIsMeasured() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        // Two shells fork and exec on the two VPs at once; every exit unmaps, and the other VP may hold the mm.
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                dmesg | grep -i -e 'remote TLB flush' -e 'IPI hypercalls' | sed 's/^/SMP-DMESG: /'
                tlb() { grep '^ *TLB:' /proc/interrupts | awk '{s=0; for (i=2; i<=NF; i++) if ($i ~ /^[0-9]+$/) s+=$i; print s}'; }
                load() { for i in $(seq 1 150); do /bin/true; cat /proc/self/stat >/dev/null; done; }
                t0=$(cut -d' ' -f1 /proc/uptime); b=$(tlb)
                for r in 1 2; do load & load & wait; done
                t1=$(cut -d' ' -f1 /proc/uptime); a=$(tlb)
                echo "SMP-$(sed -n 's/.*smp.mode=\\([a-z]*\\).*/\\1/p' /proc/cmdline): seconds=$(echo "$t1 $t0" | awk '{print $1-$2}') tlb=$((a-b)) rounds=2"
                poweroff -f
                """;
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init);
        String boot = "viridian run --kernel vmlinuz --initrd smp-initrd.gz --memory 256M --cpus 2 --cmdline "
                + "'console=ttyS0 quiet panic=-1 reboot=k smp.mode=";
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "smp-initrd.gz", initrd),
                List.of(
                        NestedKvmHost.Command.watched("with", boot + "with'"),
                        NestedKvmHost.Command.watched("without", boot + "without' --hv-no-smp-hypercalls")),
                Duration.ofMinutes(15));
        String with = run.get("with").output(), without = run.get("without").output();
        System.out.println("with the SMP hypercalls:\n" + with + "\nwithout:\n" + without);
        Matcher w = RESULT.matcher(with), o = RESULT.matcher(without);
        assertThat(w.find()).as(with).isTrue();
        assertThat(o.find()).as(without).isTrue();
        double ws = Double.parseDouble(w.group(2)), os = Double.parseDouble(o.group(2));
        System.out.printf(
                "fork-heavy load on 2 VPs, same nested host: with SMP hypercalls %.2f s, %s TLB-shootdown IPIs;"
                        + " without %.2f s, %s TLB-shootdown IPIs; time ratio with/without %.2f%n",
                ws, w.group(3), os, o.group(3), ws / os);
        assertThat(with)
                .contains("SMP-DMESG: ")
                .contains("Using hypercall for remote TLB flush")
                .contains("Using IPI hypercalls");
        assertThat(without).doesNotContain("Using hypercall for remote TLB flush");
        assertThat(Integer.parseInt(w.group(3)))
                .as("remote flushes go by hypercall: no TLB-shootdown IPI reaches a VP")
                .isZero();
    }
}
