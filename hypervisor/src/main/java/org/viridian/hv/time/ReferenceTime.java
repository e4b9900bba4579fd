package org.viridian.hv.time;

import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import org.viridian.partition.memory.GuestMemory;

/**
 * The partition reference time: 100 ns units since the partition started, derived from the guest TSC (which KVM
 * starts near 0 when the VPs are created) so that TIME_REF_COUNT and the reference TSC page always agree:
 * {@code ref = ((tsc * scale) >> 64) + offset}, the formula the TLFS gives the guest for the page.
 */
public final class ReferenceTime {
    /** Reference TSC page layout: TscSequence (u32), reserved, TscScale (u64), TscOffset (i64). */
    public static final int SEQUENCE = 0, SCALE = 8, OFFSET = 16;

    private final long tscHz;
    private final long scale;
    private final long offset;
    /**
     * The last reading taken on a VP thread, as (reference time, host nanoTime) packed in one object so readers on
     * other threads see a consistent pair. Before any reading: 0 at creation (KVM starts the guest TSC near 0).
     */
    private volatile Anchor anchor = new Anchor(0, System.nanoTime());

    private record Anchor(long ref, long nanos) {}

    public ReferenceTime(long tscHz, long offset) {
        if (tscHz <= 10_000_000L) throw new IllegalArgumentException("TSC frequency " + tscHz + " Hz is implausible");
        this.tscHz = tscHz;
        this.scale = BigInteger.valueOf(10_000_000L)
                .shiftLeft(64)
                .divide(BigInteger.valueOf(tscHz))
                .longValueExact();
        this.offset = offset;
    }

    public long tscHz() {
        return tscHz;
    }

    public long scale() {
        return scale;
    }

    /** 100 ns units for a guest TSC value. */
    public long fromTsc(long tsc) {
        return Math.unsignedMultiplyHigh(tsc, scale) + offset;
    }

    /**
     * The same, remembering the reading so {@link #now()} can extrapolate from it. For callers that read the guest TSC
     * on the VP's own thread (TIME_REF_COUNT, timer arming).
     */
    public long sample(long tsc) {
        long ref = fromTsc(tsc);
        anchor = new Anchor(ref, System.nanoTime());
        return ref;
    }

    /**
     * The reference time now, from any thread without touching a VP (a running VP cannot be asked for its TSC):
     * the last VP-thread reading advanced by the host's monotonic clock. Both run at the same rate, so the estimate
     * is off by no more than the host clock's drift since that reading.
     */
    public long now() {
        Anchor a = anchor;
        return a.ref + (System.nanoTime() - a.nanos) / 100;
    }

    /**
     * Publishes scale and offset in the guest's reference TSC page. The sequence goes to 0 (invalid, readers fall
     * back to TIME_REF_COUNT) while the fields change, then to a new non-zero value.
     */
    public void publish(GuestMemory memory, long pageGpa) {
        int previous = memory.readInt(pageGpa + SEQUENCE);
        memory.writeInt(pageGpa + SEQUENCE, 0);
        VarHandle.fullFence(); // other VPs may be reading the page right now
        memory.writeLong(pageGpa + SCALE, scale);
        memory.writeLong(pageGpa + OFFSET, offset);
        VarHandle.fullFence();
        int next = previous + 1;
        memory.writeInt(pageGpa + SEQUENCE, next == 0 || next == -1 ? 1 : next);
    }
}
