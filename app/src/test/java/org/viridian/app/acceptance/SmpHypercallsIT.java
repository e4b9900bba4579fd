package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Acceptance (mvn -P acceptance verify -Dit.test=SmpHypercallsIT): Debian's stock kernel on 2 VPs takes the TLB-flush
 * and IPI hypercalls Viridian recommends (its dmesg says so and no TLB-shootdown IPI is ever received), and two loads
 * run once with them and once without ({@code --hv-no-smp-hypercalls}) in the same nested host, so what they save is
 * printed as same-run figures: a fork-heavy shell load, and {@code tlb-shootdown} (src/test/c: two threads on two VPs
 * mapping and unmapping pages, each munmap a remote flush), with their elapsed times and TLB-shootdown IPIs.
 */
@Tag("acceptance")
class SmpHypercallsIT {
    private static final Pattern RESULT =
            Pattern.compile("^SMP-(\\w+) (fork|munmap): seconds=([0-9.]+) tlb=(\\d+)$", Pattern.MULTILINE);

    record Load(double seconds, long tlbIpis) {}

    @Test
    void stockLinuxFlushesAndInterruptsThroughTheHypercallsAndTheirSavingIsMeasured() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Path program = Files.createTempDirectory("smp").resolve("tlb-shootdown");
        Process cc = new ProcessBuilder(
                        "gcc", "-O2", "-static", "-pthread", "-o", program.toString(), "src/test/c/tlb-shootdown.c")
                .inheritIO()
                .start();
        assumeTrue(cc.waitFor() == 0, "gcc with static glibc (libc6-dev) is needed to build tlb-shootdown");
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                dmesg | grep -i -e 'remote TLB flush' -e 'IPI hypercalls' | sed 's/^/SMP-DMESG: /'
                mode=$(sed -n 's/.*smp.mode=\\([a-z]*\\).*/\\1/p' /proc/cmdline)
                tlb() { grep '^ *TLB:' /proc/interrupts | awk '{s=0; for (i=2; i<=NF; i++) if ($i ~ /^[0-9]+$/) s+=$i; print s}'; }
                now() { cut -d' ' -f1 /proc/uptime; }
                # Two shells fork and exec on the two VPs at once.
                load() { for i in $(seq 1 150); do /bin/true; cat /proc/self/stat >/dev/null; done; }
                t0=$(now); b=$(tlb); load & load & wait; t1=$(now); a=$(tlb)
                echo "SMP-$mode fork: seconds=$(echo "$t1 $t0" | awk '{print $1-$2}') tlb=$((a-b))"
                b=$(tlb); s=$(/bin/tlb-shootdown 3000); a=$(tlb)
                echo "SMP-$mode munmap: seconds=$s tlb=$((a-b))"
                poweroff -f
                """;
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, Map.of("bin/tlb-shootdown", program));
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
        Map<String, Load> w = loads(with), o = loads(without);
        assertThat(w.keySet()).as(with).containsExactlyInAnyOrder("fork", "munmap");
        assertThat(o.keySet()).as(without).containsExactlyInAnyOrder("fork", "munmap");
        for (String load : List.of("fork", "munmap")) {
            System.out.printf(
                    "%s load on 2 VPs, same nested host: with SMP hypercalls %.2f s, %d TLB-shootdown IPIs; without"
                            + " %.2f s, %d TLB-shootdown IPIs; time ratio without/with %.2f%n",
                    load,
                    w.get(load).seconds(),
                    w.get(load).tlbIpis(),
                    o.get(load).seconds(),
                    o.get(load).tlbIpis(),
                    o.get(load).seconds() / w.get(load).seconds());
        }
        assertThat(with)
                .contains("SMP-DMESG: ")
                .contains("Using hypercall for remote TLB flush")
                .contains("Using IPI hypercalls");
        assertThat(without).doesNotContain("Using hypercall for remote TLB flush");
        assertThat(o.get("munmap").tlbIpis())
                .as("the munmap load flushes remotely: without the hypercalls that takes IPIs")
                .isPositive();
        assertThat(w.get("munmap").tlbIpis() + w.get("fork").tlbIpis())
                .as("remote flushes go by hypercall: no TLB-shootdown IPI reaches a VP")
                .isZero();
    }

    private static Map<String, Load> loads(String output) {
        Map<String, Load> out = new HashMap<>();
        Matcher m = RESULT.matcher(output);
        while (m.find()) out.put(m.group(2), new Load(Double.parseDouble(m.group(3)), Long.parseLong(m.group(4))));
        return out;
    }
}
