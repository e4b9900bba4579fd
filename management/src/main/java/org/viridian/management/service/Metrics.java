package org.viridian.management.service;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.devices.netvsp.NetVspCounters;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.DiskCounters;
import org.viridian.machine.MachineMetrics;

/** A KVM VM's {@link MachineMetrics} as the service shows them ({@link VmMetrics}). */
final class Metrics {
    static final List<Double> LATENCY_BOUNDS = Arrays.stream(DiskCounters.LATENCY_BOUNDS_NANOS)
            .mapToObj(n -> n / 1e9)
            .toList();

    private Metrics() {}

    /** {@code adapterNames}: each plugged-in adapter's name in the VM's settings, by slot (else "slotN"). */
    static VmMetrics of(MachineMetrics m, Map<Integer, String> adapterNames) {
        return new VmMetrics(
                Instant.now(),
                m.vps().stream()
                        .map(v -> new VmMetrics.Vp(v.index(), v.cpuNanos(), v.exits()))
                        .toList(),
                m.hypercalls(),
                new VmMetrics.VmbusSignals(m.vmbusSignalsFromGuest(), m.vmbusSignalsToGuest()),
                m.disks().entrySet().stream()
                        .map(e -> disk(e.getKey(), e.getValue(), m.diskLimits().get(e.getKey())))
                        .toList(),
                m.adapters().stream()
                        .map(a -> adapter(adapterNames.getOrDefault(a.slot(), "slot" + a.slot()), a.counters()))
                        .toList(),
                new VmMetrics.Memory(m.memoryBytes(), m.residentBytes(), m.residentBytes() < 0 ? null : "mincore"));
    }

    private static VmMetrics.Disk disk(int lun, DiskCounters.Snapshot s, TokenBucket.Limits limits) {
        TokenBucket.Limits l = limits == null ? TokenBucket.Limits.NONE : limits;
        return new VmMetrics.Disk(lun, io(s.read()), io(s.write()), s.otherCommands(), l.iops(), l.bytesPerSecond());
    }

    private static VmMetrics.Io io(DiskCounters.Io io) {
        return new VmMetrics.Io(
                io.requests(),
                io.bytes(),
                io.errors(),
                io.latencyNanos(),
                LATENCY_BOUNDS,
                Arrays.stream(io.latencyBuckets()).boxed().toList());
    }

    /** NetVSP's "tx" is guest to port: what the guest transmitted. */
    private static VmMetrics.NetworkAdapter adapter(String name, NetVspCounters c) {
        Map<String, Long> drops = new LinkedHashMap<>();
        c.drops().forEach((why, n) -> {
            if (n != 0) drops.put(why.name().toLowerCase(java.util.Locale.ROOT), n);
        });
        return new VmMetrics.NetworkAdapter(name, c.txFrames(), c.txBytes(), c.rxFrames(), c.rxBytes(), drops);
    }
}
