package org.viridian.management.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the lines the scripted "disk-writer" guest appends to its disk ("PID SEQ MILLIS"; SEQ restarts at 1 with each
 * start of the VM) and tells the writers apart: one writer per VM instance. Two instances writing at once interleave
 * their lines, so a writer that writes again after another began is the VM running twice.
 */
public record DiskWriters(List<Writer> writers) {
    /** One VM instance's writes: its process, and its first and last write (epoch ms). */
    public record Writer(long pid, int instance, long first, long last, int lines) {}

    public static DiskWriters read(Path disk) throws IOException {
        List<Writer> out = new ArrayList<>();
        Map<Long, Integer> instances = new HashMap<>();
        Set<String> finished = new HashSet<>();
        Writer current = null;
        for (String line : Files.readAllLines(disk)) {
            String[] f = line.trim().split(" ");
            if (f.length != 3) continue; // a line cut short by SIGKILL
            long pid = Long.parseLong(f[0]), seq = Long.parseLong(f[1]), ms = Long.parseLong(f[2]);
            int instance = seq == 1 ? instances.merge(pid, 1, Integer::sum) : instances.getOrDefault(pid, 0);
            if (current != null && current.pid() == pid && current.instance() == instance) {
                current = new Writer(pid, instance, current.first(), ms, current.lines() + 1);
                out.set(out.size() - 1, current);
                continue;
            }
            if (current != null) finished.add(current.pid() + "/" + current.instance());
            if (finished.contains(pid + "/" + instance))
                throw new AssertionError("two writers on " + disk + " at once: " + pid + " (instance " + instance
                        + ") wrote again at " + ms + " after " + current.pid() + " had begun at " + current.first());
            current = new Writer(pid, instance, ms, ms, 1);
            out.add(current);
        }
        return new DiskWriters(out);
    }

    public Writer last() {
        return writers.getLast();
    }
}
