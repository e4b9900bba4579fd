package org.viridian.app.acceptance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.app.nested.NestedPeers;

/**
 * Acceptance (mvn -P acceptance verify): the full `viridian bench peers` in the nested KVM host: Viridian StorVSP,
 * QEMU virtio-blk and QEMU virtio-blk with its hv-* enlightenments, each booting the same stock kernel and fio
 * initramfs on the same raw image, every fio job. Every row must have a figure above 0 from every engine and the JSON
 * must parse; how Viridian compares is the bench's output (printed here), not asserted: the nested host's speed varies.
 * -Dpeers.args adds or overrides options (e.g. "--seconds 10 --cpus 2"); -Dpeers.java gives the nested bench's JVM
 * options (e.g. "-Dviridian.vmbus.maskSignals=true": Viridian's switches are read once per process, so an A/B of one
 * takes two runs).
 */
@Tag("acceptance")
class PeersBenchIT {
    @Test
    void benchPeersPrintsEveryRowForViridianAndBothQemusAndItsJson() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> host = NestedPeers.hostFiles();
        assumeTrue(!host.isEmpty(), "fio (Debian package fio) or QEMU's firmware is missing here");
        String args = System.getProperty("peers.args", "");
        String java = System.getProperty("peers.java", "");
        String bench = (java.isEmpty() ? "" : "export JAVA_TOOL_OPTIONS='" + java + "'; ")
                + NestedPeers.command("--seconds 5 " + args);
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel()),
                host,
                List.of(new NestedKvmHost.Command("peers", bench)),
                Duration.ofMinutes(40));
        NestedKvmHost.Outcome out = run.get("peers");
        System.out.println("nested host: " + bench + "\n" + out.output());
        boolean quick = args.contains("--short"); // its rows and no hv-* column, as in NestedKvmIT
        int engines = (quick || args.contains("--no-hv") ? 2 : 3)
                + (args.contains("--without-doorbells") ? 1 : 0)
                + (args.contains("--with-lapic-timer") ? 1 : 0);
        NestedPeers.check(out, quick ? NestedPeers.SHORT_ROWS : rows(), engines);
    }

    /** The full run's rows: boot, then per job its rate, p50, p99 and host CPU. */
    private static List<String> rows() {
        List<String> rows = new ArrayList<>(List.of("boot to /init s", "boot: the kernel's uptime at /init s"));
        for (String job : List.of(
                "4 KiB random read QD1",
                "4 KiB random read QD32",
                "4 KiB random write QD1",
                "4 KiB random write QD32",
                "1 MiB sequential read QD8")) {
            rows.add(job + (job.startsWith("1 MiB") ? " MB/s" : " IOPS"));
            rows.add(job + " p50 us");
            rows.add(job + " p99 us");
            rows.add(job + " host CPU us/IO");
        }
        return rows;
    }
}
