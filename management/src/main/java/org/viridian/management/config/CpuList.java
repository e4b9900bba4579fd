package org.viridian.management.config;

import java.util.BitSet;

/**
 * Host CPU lists as Linux writes them (cpuset.cpus, /sys/devices/system/cpu/online, taskset -c): "0-3,6", the one
 * notation of the project for a set of host processors.
 */
public final class CpuList {
    /** Far above any host Linux runs on today; bounds what a client can make us allocate. */
    public static final int MAX_CPU = 8191;

    private CpuList() {}

    /** The set, or null when {@code text} is not a CPU list (empty is the empty set). */
    public static BitSet parse(String text) {
        BitSet set = new BitSet();
        String t = text.strip();
        if (t.isEmpty()) return set;
        for (String part : t.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            int lo = number(dash < 0 ? p : p.substring(0, dash));
            int hi = dash < 0 ? lo : number(p.substring(dash + 1));
            if (lo < 0 || hi < 0 || hi < lo) return null;
            set.set(lo, hi + 1);
        }
        return set;
    }

    private static int number(String s) {
        if (s.isEmpty() || s.length() > 4 || !s.chars().allMatch(Character::isDigit)) return -1;
        int n = Integer.parseInt(s);
        return n > MAX_CPU ? -1 : n;
    }

    /** The canonical form: ascending, ranges joined ("0-3,6"). */
    public static String format(BitSet set) {
        StringBuilder b = new StringBuilder();
        for (int lo = set.nextSetBit(0); lo >= 0; ) {
            int hi = set.nextClearBit(lo) - 1;
            if (!b.isEmpty()) b.append(',');
            b.append(lo);
            if (hi > lo) b.append('-').append(hi);
            lo = set.nextSetBit(hi + 1);
        }
        return b.toString();
    }
}
