package org.viridian.management.resources;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory, as the kernel counts it (/proc/PID/statm). The service reads its workers' from outside:
 * a confined worker has no /proc.
 */
public final class ProcessMemory {
    private static final long PAGE = 4096;

    private ProcessMemory() {}

    /** This process's resident set in bytes: anonymous, file-backed and shared pages it has mapped; -1 where unknown. */
    public static long residentBytes() {
        return read(Path.of("/proc/self/statm"));
    }

    /** The same of process {@code pid}. */
    public static long residentBytes(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "statm"));
    }

    private static long read(Path statm) {
        try {
            String[] f = Files.readString(statm).trim().split(" ");
            return Long.parseLong(f[1]) * PAGE;
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }
}
