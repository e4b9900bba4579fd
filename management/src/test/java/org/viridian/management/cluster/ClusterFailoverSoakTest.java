package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.management.testing.ClusterHarness.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ClusterHarness;
import org.viridian.management.testing.DiskWriters;

/**
 * Failover time measured over many SIGKILLs of the owning host (`-P slow`; -Dcluster.failovers=N, default 8): from the
 * kill to the VM running on a survivor, and how long its shared disk went unwritten. Prints every run, the median and
 * the worst; the disk never has two writers.
 */
@Tag("slow")
class ClusterFailoverSoakTest {
    @Test
    void failoverTimesOverRepeatedKills() throws Exception {
        int runs = Integer.getInteger("cluster.failovers", 8);
        try (ClusterHarness cluster = new ClusterHarness()) {
            for (String h : List.of("A", "B", "C")) cluster.startHost(h, false);
            await(
                    "3 members",
                    Duration.ofSeconds(60),
                    () -> cluster.status("A").path("hosts").size() == 3);
            cluster.createHaVm("A", "soak", "high", null);
            List<Long> times = new ArrayList<>(), gaps = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                String owner = cluster.runningOn("soak").getFirst();
                long t0 = System.nanoTime();
                cluster.kill9(owner);
                String next = cluster.awaitRunningElsewhere("soak", owner, Duration.ofSeconds(60));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(300);
                DiskWriters w = DiskWriters.read(cluster.shared.resolve("soak.img"));
                long gap = w.last().first()
                        - w.writers().get(w.writers().size() - 2).last();
                times.add(ms);
                gaps.add(gap);
                System.out.printf(
                        "failover %d: %s killed, running on %s after %d ms (disk unwritten %d ms)%n",
                        i + 1, owner, next, ms, gap);
                cluster.startHost(owner, false);
                await(
                        owner + " back",
                        Duration.ofSeconds(60),
                        () -> cluster.status(owner).path("hosts").size() == 3
                                && cluster.status(owner).path("health").asText().equals("ok"));
            }
            List<Long> sorted = times.stream().sorted().toList(),
                    sortedGaps = gaps.stream().sorted().toList();
            System.out.printf(
                    "failover over %d SIGKILLs (session timeout %d ms): median %d ms, worst %d ms; disk unwritten: "
                            + "median %d ms, worst %d ms%n",
                    runs,
                    ClusterHarness.SESSION.toMillis(),
                    sorted.get(runs / 2),
                    sorted.getLast(),
                    sortedGaps.get(runs / 2),
                    sortedGaps.getLast());
            assertThat(sorted.getLast()).isLessThan(ClusterHarness.SESSION.toMillis() + 10_000);
        }
    }
}
