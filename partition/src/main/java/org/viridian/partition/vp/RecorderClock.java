package org.viridian.partition.vp;

import java.util.concurrent.locks.LockSupport;

/**
 * The flight recorders' clock: nanoseconds on the host's monotonic clock, read by one ticker thread every millisecond
 * while some partition records, so an entry costs a volatile read instead of a clock read (on hosts whose clock source
 * is not the TSC, e.g. HPET under emulation, every System.nanoTime() is itself a slow device access).
 */
public final class RecorderClock {
    static final long TICK_NANOS = 1_000_000;
    private static volatile long now = System.nanoTime();
    private static int users;
    private static Thread ticker;

    private RecorderClock() {}

    /** The host's monotonic time as of the last tick (at most about a millisecond old while someone records). */
    public static long now() {
        return now;
    }

    /** A partition starts recording: the ticker runs while at least one does. */
    public static synchronized void acquire() {
        now = System.nanoTime();
        if (users++ == 0) {
            ticker = Thread.ofPlatform().daemon().name("flight-recorder-clock").start(RecorderClock::tick);
        }
    }

    public static synchronized void release() {
        if (users == 0) throw new IllegalStateException("release without acquire");
        if (--users == 0) {
            ticker.interrupt();
            ticker = null;
        }
    }

    private static void tick() {
        while (!Thread.currentThread().isInterrupted()) {
            now = System.nanoTime();
            LockSupport.parkNanos(TICK_NANOS);
        }
    }
}
