package org.viridian.management.service;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a running VM has used and done so far, as the service shows it ({@code GET /metrics} in Prometheus' text
 * format, {@code GET /api/v1/vms/{vm}/metrics} as JSON): every figure is a total since the VM started (a counter)
 * except the memory figures (gauges). Engines fill it from counters their VMs keep anyway; {@code at} is when it was
 * read, for rates.
 */
public record VmMetrics(
        Instant at,
        List<Vp> vps,
        Map<String, Long> hypercalls,
        VmbusSignals vmbusSignals,
        List<Disk> disks,
        List<NetworkAdapter> networkAdapters,
        Memory memory) {
    public VmMetrics {
        vps = List.copyOf(vps);
        hypercalls = sorted(hypercalls);
        disks = List.copyOf(disks);
        networkAdapters = List.copyOf(networkAdapters);
    }

    /** Counts by name, in name order (so JSON and listings read the same every time). */
    private static Map<String, Long> sorted(Map<String, Long> m) {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(m));
    }

    /**
     * One virtual processor: the CPU time of its thread (the guest's time included) and its exits to user space by KVM
     * exit reason ("io", "mmio", "x86_rdmsr", "intr", …).
     */
    public record Vp(int index, long cpuNanos, Map<String, Long> exits) {
        public Vp {
            exits = sorted(exits);
        }
    }

    /** VMBus channel signals: the guest's HvSignalEvent calls and the host's interrupts to the guest. */
    public record VmbusSignals(long fromGuest, long toGuest) {}

    /**
     * One disk, by its slot (its LUN on the synthetic SCSI controller), with the IOPS and bandwidth limits its
     * controller holds it to now (gauges; 0: no limit).
     */
    public record Disk(int slot, Io read, Io write, long otherCommands, long maxIops, long maxBytesPerSecond) {}

    /**
     * Reads or writes: requests, bytes moved, failed requests, and latency (request taken to completion) as a total
     * and a histogram: {@code latencyBuckets[i]} requests took at most {@code latencyBoundsSeconds[i]}, the last
     * bucket holds the rest (not cumulative).
     */
    public record Io(
            long requests,
            long bytes,
            long errors,
            long latencyNanos,
            List<Double> latencyBoundsSeconds,
            List<Long> latencyBuckets) {
        public Io {
            latencyBoundsSeconds = List.copyOf(latencyBoundsSeconds);
            latencyBuckets = List.copyOf(latencyBuckets);
            if (latencyBuckets.size() != latencyBoundsSeconds.size() + 1)
                throw new IllegalArgumentException("one bucket per bound, and one more for the rest");
        }

        public static Io none(List<Double> bounds) {
            return new Io(0, 0, 0, 0, bounds, java.util.Collections.nCopies(bounds.size() + 1, 0L));
        }
    }

    /**
     * One network adapter (by its name in the VM's settings), as the guest sees it: frames and bytes it transmitted
     * (guest to switch) and received (switch to guest), and what its synthetic adapter dropped or refused, by reason.
     */
    public record NetworkAdapter(
            String name,
            long transmittedFrames,
            long transmittedBytes,
            long receivedFrames,
            long receivedBytes,
            Map<String, Long> drops) {
        public NetworkAdapter {
            drops = sorted(drops);
        }
    }

    /**
     * Guest RAM: assigned, and resident in host memory ({@code residentSource} "mincore": exactly the guest's pages
     * that were touched and are not swapped out; -1 where the engine cannot tell); {@code processResidentBytes}: the
     * resident set of the process that runs the VM (its worker), the guest RAM it touched included (-1: unknown).
     */
    public record Memory(long assignedBytes, long residentBytes, String residentSource, long processResidentBytes) {
        public Memory(long assignedBytes, long residentBytes, String residentSource) {
            this(assignedBytes, residentBytes, residentSource, -1);
        }

        /** What running the VM costs the host beyond the guest's own RAM: the VMM's memory (-1: unknown). */
        public long overheadBytes() {
            return processResidentBytes < 0 || residentBytes < 0
                    ? -1
                    : Math.max(0, processResidentBytes - residentBytes);
        }
    }
}
