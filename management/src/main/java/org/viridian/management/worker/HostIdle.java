package org.viridian.management.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Whether the host has a processor to spare, from the kernel's own accounting ({@code /proc/stat}'s first line: time
 * every CPU spent idle or waiting for I/O against all its time): background work that only makes later work faster (a
 * standby worker's warm-up) waits for it, so it does not slow down what runs now — on a one-CPU host a warm-up beside a
 * Save-VM made the save take twice as long.
 */
final class HostIdle {
    private static final Path STAT = Path.of("/proc/stat");
    /** Idle share of one processor over a sample that counts as "one to spare". */
    static final double SPARE = 0.5;

    private HostIdle() {}

    /** Idle and total jiffies of all processors together; null where /proc/stat cannot be read. */
    private static long[] sample() {
        try {
            String first = Files.readAllLines(STAT).getFirst();
            String[] f = first.trim().split("\\s+");
            if (!f[0].equals("cpu") || f.length < 6) return null;
            long total = 0;
            for (int i = 1; i < f.length; i++) total += Long.parseLong(f[i]);
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return new long[] {idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Waits until a sample of {@code every} finds at least {@link #SPARE} of a processor idle, for at most {@code max};
     * true when it did (or the host cannot say), false when {@code max} ran out first.
     */
    static boolean await(Duration every, Duration max) throws InterruptedException {
        int cpus = Runtime.getRuntime().availableProcessors();
        long deadline = System.nanoTime() + max.toNanos();
        long[] before = sample();
        if (before == null) return true;
        while (true) {
            Thread.sleep(every.toMillis());
            long[] now = sample();
            if (now == null) return true;
            long total = now[1] - before[1];
            if (total > 0 && (double) (now[0] - before[0]) / total * cpus >= SPARE) return true;
            if (System.nanoTime() - deadline > 0) return false;
            before = now;
        }
    }
}
