package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A guest's console as it comes, line by line, each stamped with the time since the engine was asked to start the
 * guest and, for the bench's own lines (those starting with {@code marker}), the CPU time the engine's process had
 * used by then: so boot time is the stamp of /init's first line, and the host CPU of an fio job the difference between
 * the samples at its begin and end lines.
 */
final class ConsoleLines extends OutputStream {
    /** Linux reports utime and stime in USER_HZ ticks, 100 a second on every architecture it runs. */
    private static final double TICKS_PER_SECOND = 100;

    /**
     * A line without its end; {@code cpuSeconds} is NaN where it was not sampled; {@code kvmExits}: the host KVM's
     * event counters then (see {@link KvmCounters}), empty where not sampled or not readable.
     */
    record Line(double seconds, double cpuSeconds, String text, Map<String, Long> kvmExits) {
        Line(double seconds, double cpuSeconds, String text) {
            this(seconds, cpuSeconds, text, Map.of());
        }
    }

    private final long start = System.nanoTime();
    private final String marker;
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private final List<Line> lines = new ArrayList<>();
    private volatile long pid = -1;

    ConsoleLines(String marker) {
        this.marker = marker;
    }

    /** The process whose CPU the marked lines sample (the engine's; set once it runs). */
    void engineProcess(long pid) {
        this.pid = pid;
    }

    @Override
    public synchronized void write(int b) {
        all.write(b);
        if (b == '\n') {
            String text = current.toString(StandardCharsets.UTF_8).replace("\r", "");
            current.reset();
            boolean marked = text.startsWith(marker);
            double cpu = marked ? cpuSeconds(pid) : Double.NaN;
            lines.add(new Line((System.nanoTime() - start) / 1e9, cpu, text, marked ? KvmCounters.read() : Map.of()));
        } else current.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) write(b[i]);
    }

    synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    /** Everything so far, as text. */
    synchronized String text() {
        return all.toString(StandardCharsets.UTF_8).replace("\r", "");
    }

    /** utime + stime of {@code pid} from /proc, in seconds; NaN where it cannot be read. */
    static double cpuSeconds(long pid) {
        if (pid < 0) return Double.NaN;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
