package org.viridian.devices.storvsp;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one disk has done for the guest: reads and writes (requests, bytes, failures) with their latency from the
 * moment StorVSP took the request off the ring to its completion (queueing behind the disk's earlier requests and
 * its IOPS/bandwidth limit included), as a sum and a histogram. Other commands (INQUIRY, SYNCHRONIZE CACHE, UNMAP, …)
 * are counted apart. LongAdders: a disk's worker writes, any thread reads.
 */
public final class DiskCounters {
    /** The histogram's upper bounds in nanoseconds; a last, unbounded bucket follows. */
    public static final long[] LATENCY_BOUNDS_NANOS = {
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        100_000_000,
        250_000_000,
        1_000_000_000
    };

    private final Direction read = new Direction(), write = new Direction();
    private final LongAdder other = new LongAdder();

    /** One direction so far; {@code latencyBuckets[i]} counts requests at or under bound i (the last: the rest). */
    public record Io(long requests, long bytes, long errors, long latencyNanos, long[] latencyBuckets) {
        public Io {
            latencyBuckets = latencyBuckets.clone();
        }

        @Override
        public long[] latencyBuckets() {
            return latencyBuckets.clone();
        }
    }

    /** The disk's counters at one moment (each read whole; together, not one atomic snapshot). */
    public record Snapshot(Io read, Io write, long otherCommands) {}

    /** One completed command: {@code cdb}'s operation code says which direction it was. */
    void completed(byte[] cdb, boolean ok, long bytes, long nanos) {
        Direction d =
                switch (cdb.length == 0 ? -1 : cdb[0] & 0xFF) {
                    case 0x08, 0x28, 0xA8, 0x88 -> read; // READ (6), (10), (12), (16)
                    case 0x0A, 0x2A, 0xAA, 0x8A -> write; // WRITE (6), (10), (12), (16)
                    default -> null;
                };
        if (d == null) other.increment();
        else d.add(ok, bytes, nanos);
    }

    public Snapshot snapshot() {
        return new Snapshot(read.snapshot(), write.snapshot(), other.sum());
    }

    private static final class Direction {
        final LongAdder requests = new LongAdder(), bytes = new LongAdder(), errors = new LongAdder();
        final LongAdder nanos = new LongAdder();
        final LongAdder[] buckets = new LongAdder[LATENCY_BOUNDS_NANOS.length + 1];

        Direction() {
            for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
        }

        void add(boolean ok, long n, long took) {
            requests.increment();
            if (ok) bytes.add(n);
            else errors.increment();
            nanos.add(took);
            int i = 0;
            while (i < LATENCY_BOUNDS_NANOS.length && took > LATENCY_BOUNDS_NANOS[i]) i++;
            buckets[i].increment();
        }

        Io snapshot() {
            long[] b = new long[buckets.length];
            for (int i = 0; i < b.length; i++) b[i] = buckets[i].sum();
            return new Io(requests.sum(), bytes.sum(), errors.sum(), nanos.sum(), b);
        }
    }
}
