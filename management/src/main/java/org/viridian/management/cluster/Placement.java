package org.viridian.management.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.viridian.management.resources.Admission;

/**
 * Where a clustered VM should run, from the members' published records: a live, healthy host that does not drain, sees the
 * VM's shared storage and has the memory admission asks for (less what this pass already placed there); the VM's
 * preferred hosts first, in their order, then the host with the most memory free. Every member computes the same
 * answer from the same records, so usually only the chosen host claims; the claim itself is atomic anyway.
 */
public final class Placement {
    private Placement() {}

    /** The host for {@code vm}, never {@code exclude} (a host leaving); {@code placed}: memory given this pass. */
    public static Optional<HostRecord> target(
            ClusteredVm vm, List<HostRecord> hosts, Map<String, Long> placed, String exclude) {
        long need = Admission.need(vm.config());
        return hosts.stream()
                .filter(h -> !h.draining() && !h.name().equals(exclude) && "ok".equals(h.health()))
                .filter(h -> vm.storageId() == null || vm.storageId().equals(h.storageId()))
                .filter(h -> h.memoryFree() - placed.getOrDefault(h.name(), 0L) >= need)
                .min(order(vm, placed));
    }

    private static Comparator<HostRecord> order(ClusteredVm vm, Map<String, Long> placed) {
        return Comparator.<HostRecord>comparingInt(h -> rank(vm, h.name()))
                .thenComparing(h -> -(h.memoryFree() - placed.getOrDefault(h.name(), 0L)))
                .thenComparing(HostRecord::name);
    }

    /** The host's place in the VM's preferred list, or after all of them. */
    static int rank(ClusteredVm vm, String host) {
        int i = vm.preferredHosts().indexOf(host);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    /**
     * Failback: the preferred host {@code vm} should go back to from {@code owner} — one ranked above the owner that
     * has been a member for {@code settle} (a host that just came back may go again) and can take it — or empty.
     */
    public static Optional<HostRecord> failback(
            ClusteredVm vm, String owner, List<HostRecord> hosts, Instant now, Duration settle) {
        if (vm.preferredHosts().isEmpty()) return Optional.empty();
        int ownerRank = rank(vm, owner);
        return target(vm, hosts, Map.of(), owner)
                .filter(h -> rank(vm, h.name()) < ownerRank)
                .filter(h -> h.joined() != null && h.joined().plus(settle).isBefore(now));
    }
}
