package org.viridian.storage.io;

import java.util.Map;
import java.util.TreeMap;

/**
 * Claims byte ranges of an image file one by one and reports a range that leaves the file or overlaps
 * one claimed before: the common check behind "BAT entry points outside the file / into metadata / at
 * another block".
 */
public final class ExtentChecker {
    private record Extent(String name, long start, long end) {}

    private final TreeMap<Long, Extent> extents = new TreeMap<>();
    private final long limit;
    private final String file;

    public ExtentChecker(String file, long limit) {
        this.file = file;
        this.limit = limit;
    }

    /**
     * The claimed ranges in offset order as start, end pairs: for a caller that sweeps millions of sorted ranges past
     * them without a lookup (and its boxing) per range.
     */
    public long[] claimedInOrder() {
        long[] out = new long[extents.size() * 2];
        int i = 0;
        for (Extent e : extents.values()) {
            out[i++] = e.start;
            out[i++] = e.end;
        }
        return out;
    }

    public long limit() {
        return limit;
    }

    /** Returns null when the range is free and inside the file (and claims it), else the problem. */
    public String claim(String name, long start, long length) {
        if (start < 0 || length < 0 || start > limit - length) {
            return file + ": " + name + " at offset " + start + " (+" + length
                    + ") points past the end of the file (size " + limit
                    + "); the file is truncated or the entry is corrupt";
        }
        if (length == 0) return null;
        Map.Entry<Long, Extent> before = extents.floorEntry(start);
        if (before != null && before.getValue().end > start) return overlap(name, start, before.getValue());
        Map.Entry<Long, Extent> after = extents.ceilingEntry(start);
        if (after != null && after.getKey() < start + length) return overlap(name, start, after.getValue());
        extents.put(start, new Extent(name, start, start + length));
        return null;
    }

    private String overlap(String name, long start, Extent other) {
        return file + ": " + name + " at offset " + start + " overlaps " + other.name + " at offset " + other.start;
    }
}
