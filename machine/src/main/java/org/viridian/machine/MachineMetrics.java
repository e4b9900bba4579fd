package org.viridian.machine;

import java.util.List;
import java.util.Map;
import org.viridian.devices.netvsp.NetVspCounters;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.DiskCounters;
import org.viridian.partition.vp.VpMetrics;

/**
 * What a running VM has used and done so far, from the counters its parts keep anyway (each read racily, so the parts
 * may be a few events apart): per VP its CPU time and exits by reason; hypercalls by call code; VMBus channel signals
 * each way; per disk (by LUN) reads and writes with their latencies and the IOPS/bandwidth limits in force; per network adapter (by slot) NetVSP's frames,
 * bytes and drops; guest RAM assigned and resident (exact: mincore over the memfd, see GuestMemory#residentBytes).
 */
public record MachineMetrics(
        List<VpMetrics> vps,
        Map<String, Long> hypercalls,
        long vmbusSignalsFromGuest,
        long vmbusSignalsToGuest,
        Map<Integer, DiskCounters.Snapshot> disks,
        Map<Integer, TokenBucket.Limits> diskLimits,
        List<Adapter> adapters,
        long memoryBytes,
        long residentBytes) {
    public MachineMetrics {
        vps = List.copyOf(vps);
        hypercalls = Map.copyOf(hypercalls);
        disks = Map.copyOf(disks);
        diskLimits = Map.copyOf(diskLimits);
        adapters = List.copyOf(adapters);
    }

    /** One plugged-in network adapter: its slot (as {@link VirtualMachine.NetworkAdapterDevice#slot}) and counters. */
    public record Adapter(int slot, String tap, NetVspCounters counters) {}
}
