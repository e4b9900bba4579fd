package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A VMM process's resident memory and how much of it is its guest's RAM, from /proc/PID/smaps: the guest's RAM is the
 * mapping at least as large as the guest's memory (QEMU's RAM block; Viridian's guest memfd), the rest is the VMM's.
 */
record ProcessFootprint(long resident, long guestResident) {
    static ProcessFootprint of(long pid, long guestBytes) throws IOException {
        long resident = 0, guest = 0;
        boolean inGuest = false;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            if (!line.isEmpty()
                    && Character.digit(line.charAt(0), 16) >= 0
                    && line.indexOf('-') > 0
                    && line.indexOf(' ') > line.indexOf('-')) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                long size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
                inGuest = size >= guestBytes;
            } else if (line.startsWith("Rss:")) {
                long kib = Long.parseLong(line.substring(4).replace("kB", "").strip());
                resident += kib << 10;
                if (inGuest) guest += kib << 10;
            }
        }
        return new ProcessFootprint(resident, guest);
    }

    /**
     * The resident set by what is mapped (a file's name, [heap], [stack], "anonymous", the guest's memfd), largest
     * first: where a VMM's own memory goes.
     */
    static java.util.LinkedHashMap<String, Long> byMapping(long pid) throws IOException {
        java.util.Map<String, Long> by = new java.util.HashMap<>();
        String name = null;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            if (header(line)) {
                String[] f = line.trim().split("\\s+", 6);
                name = f.length == 6 ? f[5].trim() : "anonymous";
            } else if (line.startsWith("Rss:") && name != null) {
                long kib = Long.parseLong(line.substring(4).replace("kB", "").strip());
                by.merge(name, kib << 10, Long::sum);
            }
        }
        java.util.LinkedHashMap<String, Long> sorted = new java.util.LinkedHashMap<>();
        by.entrySet().stream()
                .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** A mapping's first line: "start-end perms offset dev inode [name]". */
    private static boolean header(String line) {
        int dash = line.indexOf('-'), space = line.indexOf(' ');
        return dash > 0 && space > dash && line.chars().limit(dash).allMatch(c -> Character.digit(c, 16) >= 0);
    }
}
