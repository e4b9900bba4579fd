package org.viridian.management.cluster;

import java.util.List;
import org.viridian.management.config.VmConfig;

/**
 * A highly available VM as the cluster keeps it (/viridian/vms/ID): its definition (the one every host starts it
 * from), its preferred owners (first = most preferred, failback target), its priority, whether it should run
 * ({@code running}: set by the owner when a user or the guest starts or stops it, never by failover), the storage its
 * disks are on ({@code storageId}), and a planned move in progress: {@code moveTo} (the host asked for) and {@code
 * handoff} (how the source left it: shut down, or saved for a quick migration); and how it last moved ({@code
 * lastMove}, for `cluster status`).
 */
public record ClusteredVm(
        VmConfig config,
        List<String> preferredHosts,
        Priority priority,
        boolean running,
        String storageId,
        String moveTo,
        Handoff handoff,
        LastMove lastMove) {
    public ClusteredVm {
        preferredHosts = preferredHosts == null ? List.of() : List.copyOf(preferredHosts);
        priority = priority == null ? Priority.MEDIUM : priority;
    }

    public ClusteredVm withConfig(VmConfig c) {
        return new ClusteredVm(c, preferredHosts, priority, running, storageId, moveTo, handoff, lastMove);
    }

    public ClusteredVm withRunning(boolean r) {
        return new ClusteredVm(config, preferredHosts, priority, r, storageId, moveTo, handoff, lastMove);
    }

    public ClusteredVm withLastMove(LastMove m) {
        return new ClusteredVm(config, preferredHosts, priority, running, storageId, moveTo, handoff, m);
    }

    public ClusteredVm withMove(String to, Handoff how) {
        return new ClusteredVm(config, preferredHosts, priority, running, storageId, to, how, lastMove);
    }

    public ClusteredVm withSettings(List<String> preferred, Priority p) {
        return new ClusteredVm(config, preferred, p, running, storageId, moveTo, handoff, lastMove);
    }
}
