package org.viridian.management.cluster;

import java.time.Instant;
import java.util.Map;

/**
 * What a member publishes in its lease node (/viridian/hosts/NAME, ephemeral: it exists exactly while the host's
 * ZooKeeper session does): where its API is, what it has left for VMs (admission's figures), the shared storage it
 * sees, whether it drains, and the state of each clustered VM it runs (id → state), refreshed every heartbeat.
 */
public record HostRecord(
        String name,
        String url,
        String health,
        long memoryForVms,
        long memoryFree,
        int processors,
        String storageId,
        String sharedStorage,
        Instant joined,
        Instant updated,
        boolean draining,
        Map<String, String> vms) {
    public HostRecord {
        vms = vms == null ? Map.of() : Map.copyOf(vms);
    }
}
