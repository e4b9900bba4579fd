package org.viridian.devices.scsi;

import java.util.function.LongSupplier;

/**
 * Per-disk I/O limits: operations per second and bytes per second, each a token bucket refilled continuously with a
 * burst of one second. {@link #acquire} blocks the disk's worker (never a VP thread) until both allow the request.
 * A limit of 0 means unlimited. The limits can change while the disk runs ({@link #setLimits}, Hyper-V's
 * Set-VMHardDiskDrive -MaximumIOPS on a running VM): a request waiting for tokens re-checks at once.
 */
public final class TokenBucket {
    /** The rates: operations and bytes per second, 0 for no limit on that one. */
    public record Limits(long iops, long bytesPerSecond) {
        public static final Limits NONE = new Limits(0, 0);

        public Limits {
            if (iops < 0 || bytesPerSecond < 0) throw new IllegalArgumentException("I/O limits must not be negative");
        }

        public boolean limited() {
            return iops > 0 || bytesPerSecond > 0;
        }
    }

    private final LongSupplier nanoClock;
    /** Read without the lock on the unlimited fast path; written under it. */
    private volatile Limits limits;

    private double ops, bytes;
    private long last;

    public TokenBucket(long iops, long bytesPerSecond) {
        this(new Limits(iops, bytesPerSecond), System::nanoTime);
    }

    /** A bucket on {@code nanoClock} (System.nanoTime's scale), so a test can step time instead of sleeping. */
    public TokenBucket(Limits limits, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.limits = limits;
        this.ops = limits.iops();
        this.bytes = limits.bytesPerSecond();
        this.last = nanoClock.getAsLong();
    }

    public static TokenBucket unlimited() {
        return new TokenBucket(0, 0);
    }

    public boolean limited() {
        return limits.limited();
    }

    public Limits limits() {
        return limits;
    }

    /**
     * New rates from now on. Tokens saved under the old rates stay, up to one second of the new ones; a budget that was
     * unlimited starts full, as a new disk's does. Waiting requests wake and re-check.
     */
    public synchronized void setLimits(Limits next) {
        Limits before = limits;
        refill(before);
        ops = before.iops() == 0 ? next.iops() : Math.min(ops, next.iops());
        bytes = before.bytesPerSecond() == 0 ? next.bytesPerSecond() : Math.min(bytes, next.bytesPerSecond());
        limits = next;
        notifyAll();
    }

    /** Waits until one operation of {@code size} bytes fits in both budgets, then takes it. */
    public void acquire(long size) throws InterruptedException {
        if (!limits.limited()) return;
        synchronized (this) {
            for (long wait; (wait = take(size)) > 0; ) wait(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    /** Takes one operation of {@code size} bytes if both budgets allow it now; never waits. */
    public synchronized boolean tryAcquire(long size) {
        return take(size) == 0;
    }

    /** Takes the operation and answers 0, or answers how many nanoseconds until it may fit. */
    private long take(long size) {
        Limits l = limits;
        refill(l);
        long iops = l.iops(), bps = l.bytesPerSecond();
        // A request larger than one second's budget may still go once the bucket is full, so it cannot starve.
        boolean opOk = iops == 0 || ops >= 1;
        boolean bytesOk = bps == 0 || bytes >= Math.min(size, bps);
        if (opOk && bytesOk) {
            if (iops > 0) ops -= 1;
            if (bps > 0) bytes -= size;
            return 0;
        }
        double waitOps = opOk ? 0 : (1 - ops) / iops;
        double waitBytes = bytesOk ? 0 : (Math.min(size, bps) - bytes) / bps;
        return (long) (Math.max(waitOps, waitBytes) * 1e9) + 1;
    }

    /** Adds the tokens earned since the last look, at rates {@code l}, each budget capped at one second's worth. */
    private void refill(Limits l) {
        long now = nanoClock.getAsLong();
        double seconds = (now - last) / 1e9;
        last = now;
        if (l.iops() > 0) ops = Math.min(l.iops(), ops + seconds * l.iops());
        if (l.bytesPerSecond() > 0) bytes = Math.min(l.bytesPerSecond(), bytes + seconds * l.bytesPerSecond());
    }
}
