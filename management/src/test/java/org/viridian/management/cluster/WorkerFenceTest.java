package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.management.testing.ClusterHarness.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ClusterHarness;
import org.viridian.management.testing.DiskWriters;
import org.viridian.management.testing.ServiceProcess;

/**
 * A clustered VM in a worker process outlives its killed service, as every VM does: its worker must power it off
 * itself (the service no longer renews its lease file) before another member starts it from the same disk.
 */
class WorkerFenceTest {
    @Test
    void theWorkerOfAKilledServiceStopsItsVmBeforeASurvivorStartsIt() throws Exception {
        try (ClusterHarness cluster = new ClusterHarness(1)) {
            cluster.startHost("W", false, "worker-scripted");
            cluster.startHost("S", false);
            try {
                await(
                        "2 members",
                        Duration.ofSeconds(30),
                        () -> cluster.status("W").path("hosts").size() == 2
                                && cluster.status("W").path("health").asText().equals("ok"));
                cluster.createHaVm("W", "wvm", "medium", "W");
                assertThat(cluster.runningOn("wvm")).containsExactly("W");
                Thread.sleep(500);
                cluster.kill9("W");
                cluster.awaitRunningElsewhere("wvm", "W", Duration.ofSeconds(30));
                Thread.sleep(500);
                DiskWriters w = DiskWriters.read(cluster.shared.resolve("wvm.img"));
                assertThat(w.writers()).hasSize(2);
                long gap = w.writers().get(1).first() - w.writers().get(0).last();
                System.out.println("cluster: the killed service's worker stopped writing " + gap
                        + " ms before the survivor started the VM");
                assertThat(gap).isPositive();
            } finally {
                ServiceProcess.killWorkers(cluster.stateDir("W"));
            }
        }
    }
}
