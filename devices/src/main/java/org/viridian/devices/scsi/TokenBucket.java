package org.viridian.devices.scsi;

/**
 * Per-disk I/O limits: operations per second and bytes per second, each a token bucket refilled continuously with a
 * burst of one second. {@link #acquire} blocks the disk's worker (never a VP thread) until both allow the request.
 * A limit of 0 means unlimited.
 */
public final class TokenBucket {
    private final long iops, bytesPerSecond;
    private double ops, bytes;
    private long last = System.nanoTime();

    public TokenBucket(long iops, long bytesPerSecond) {
        if (iops < 0 || bytesPerSecond < 0) throw new IllegalArgumentException("I/O limits must not be negative");
        this.iops = iops;
        this.bytesPerSecond = bytesPerSecond;
        this.ops = iops;
        this.bytes = bytesPerSecond;
    }

    public static TokenBucket unlimited() {
        return new TokenBucket(0, 0);
    }

    public boolean limited() {
        return iops > 0 || bytesPerSecond > 0;
    }

    /** Waits until one operation of {@code size} bytes fits in both budgets, then takes it. */
    public synchronized void acquire(long size) throws InterruptedException {
        if (!limited()) return;
        for (; ; ) {
            long now = System.nanoTime();
            double seconds = (now - last) / 1e9;
            last = now;
            if (iops > 0) ops = Math.min(iops, ops + seconds * iops);
            if (bytesPerSecond > 0) bytes = Math.min(bytesPerSecond, bytes + seconds * bytesPerSecond);
            // A request larger than one second's budget may still go once the bucket is full, so it cannot starve.
            boolean opOk = iops == 0 || ops >= 1;
            boolean bytesOk = bytesPerSecond == 0 || bytes >= Math.min(size, bytesPerSecond);
            if (opOk && bytesOk) {
                if (iops > 0) ops -= 1;
                if (bytesPerSecond > 0) bytes -= size;
                return;
            }
            double waitOps = opOk ? 0 : (1 - ops) / iops;
            double waitBytes = bytesOk ? 0 : (Math.min(size, bytesPerSecond) - bytes) / bytesPerSecond;
            long nanos = (long) (Math.max(waitOps, waitBytes) * 1e9) + 1;
            wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
        }
    }
}
