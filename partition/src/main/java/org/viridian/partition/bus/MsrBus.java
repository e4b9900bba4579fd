package org.viridian.partition.bus;

import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/** Routes user-space MSR exits to handlers by MSR range; an MSR nobody handles gets #GP, as on real hardware. */
public final class MsrBus {
    private record Range(int first, int count, MsrHandler handler) {}

    private final TreeMap<Integer, Range> ranges = new TreeMap<>(Integer::compareUnsigned);

    public synchronized void register(int first, int count, MsrHandler handler) {
        ranges.put(first, new Range(first, count, handler));
    }

    private synchronized MsrHandler find(int msr) {
        Map.Entry<Integer, Range> e = ranges.floorEntry(msr);
        if (e != null
                && Integer.toUnsignedLong(msr)
                                - Integer.toUnsignedLong(e.getValue().first())
                        < e.getValue().count()) {
            return e.getValue().handler();
        }
        return null;
    }

    public OptionalLong read(int vp, int msr) {
        MsrHandler h = find(msr);
        return h == null ? OptionalLong.empty() : h.read(vp, msr);
    }

    public boolean write(int vp, int msr, long value) {
        MsrHandler h = find(msr);
        return h != null && h.write(vp, msr, value);
    }

    /** The ranges claimed, for building KVM's MSR filter. */
    public synchronized int[][] claimedRanges() {
        return ranges.values().stream()
                .map(r -> new int[] {r.first(), r.count()})
                .toArray(int[][]::new);
    }
}
