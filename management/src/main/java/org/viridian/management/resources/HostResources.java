package org.viridian.management.resources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.viridian.management.config.CpuList;

/**
 * What the root partition owns now: the host's memory (/proc/meminfo) and its online logical processors
 * (/sys/devices/system/cpu/online), read at each admission so that memory added or CPUs taken offline count.
 */
public record HostResources(long memTotal, long memAvailable, BitSet onlineCpus) {
    public HostResources {
        onlineCpus = (BitSet) onlineCpus.clone();
    }

    public int logicalProcessors() {
        return onlineCpus.cardinality();
    }

    @Override
    public BitSet onlineCpus() {
        return (BitSet) onlineCpus.clone();
    }

    /** This host's figures; where a file cannot be read, what the JVM knows (its heap's view is no guide to RAM). */
    public static HostResources read() {
        return read(Path.of("/proc/meminfo"), Path.of("/sys/devices/system/cpu/online"));
    }

    static HostResources read(Path meminfo, Path online) {
        long total = 0, available = -1;
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) total = kib(line);
                else if (line.startsWith("MemAvailable:")) available = kib(line);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the host's memory from " + meminfo + ": " + e.getMessage());
        }
        if (total <= 0) throw new IllegalStateException(meminfo + " has no MemTotal line");
        BitSet cpus = null;
        try {
            cpus = CpuList.parse(Files.readString(online));
        } catch (IOException e) {
            // below: every processor the JVM may use
        }
        if (cpus == null || cpus.isEmpty()) {
            cpus = new BitSet();
            cpus.set(0, Runtime.getRuntime().availableProcessors());
        }
        return new HostResources(total, available < 0 ? total : available, cpus);
    }

    private static long kib(String line) {
        String[] f = line.trim().split("\\s+");
        return Long.parseLong(f[1]) * 1024;
    }
}
