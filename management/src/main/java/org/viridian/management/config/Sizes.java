package org.viridian.management.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as people write and read them, the one notation of the project (CLI options, VM settings, disk sizes): 512M,
 * 2G, 64K, 1T, 512MiB or a plain byte count, in binary units.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*([KMGT]?)(?:I?B)?");

    private Sizes() {}

    /** The byte count, or -1 when {@code text} is not a size. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toUpperCase(Locale.ROOT));
        if (!m.matches()) return -1;
        int shift =
                switch (m.group(2)) {
                    case "K" -> 10;
                    case "M" -> 20;
                    case "G" -> 30;
                    case "T" -> 40;
                    default -> 0;
                };
        try {
            long n = Long.parseLong(m.group(1));
            return n > (Long.MAX_VALUE >> shift) ? -1 : n << shift;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** For reading: binary units with one decimal where it matters (1.5 GiB, 512 MiB, 100 B). */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0) return bytes + " B";
        if (v == Math.rint(v)) return (long) v + " " + units[u];
        // As %.1f rounds (half up, from the shortest decimal form), without java.util.Formatter: its set-up was a
        // visible part of a short command's start (`viridian vhd convert` prints sizes).
        return decimal(v, 1) + " " + units[u];
    }

    /**
     * {@code v} with {@code places} decimals, rounded half up from its shortest decimal form: what
     * {@code BigDecimal.valueOf(v).setScale(places, HALF_UP).toPlainString()} gives, done on Double.toString's digits
     * because BigDecimal's class initialisation alone (tables of powers, interpreted at start-up) took ~15 ms of a
     * short `vhd convert`.
     */
    public static String decimal(double v, int places) {
        String s = Double.toString(Math.abs(v));
        int dot = s.indexOf('.');
        if (s.indexOf('E') >= 0 || dot < 0 || Double.isNaN(v) || Double.isInfinite(v))
            return BigDecimal.valueOf(v).setScale(places, RoundingMode.HALF_UP).toPlainString();
        // Digits without the point, cut after `places` decimals (padded with zeros), rounded up on a cut digit >= 5.
        StringBuilder digits = new StringBuilder(s.length() + places).append(s, 0, dot);
        int fraction = s.length() - dot - 1;
        digits.append(s, dot + 1, dot + 1 + Math.min(places, fraction));
        for (int i = fraction; i < places; i++) digits.append('0');
        if (fraction > places && s.charAt(dot + 1 + places) >= '5') {
            int i = digits.length() - 1;
            while (i >= 0 && digits.charAt(i) == '9') digits.setCharAt(i--, '0');
            if (i >= 0) digits.setCharAt(i, (char) (digits.charAt(i) + 1));
            else digits.insert(0, '1');
        }
        int whole = digits.length() - places;
        String out = places == 0 ? digits.toString() : digits.substring(0, whole) + "." + digits.substring(whole);
        boolean zero = true;
        for (int i = 0; i < digits.length(); i++) zero &= digits.charAt(i) == '0';
        return v < 0 && !zero ? "-" + out : out;
    }

    /** 64M, 2G, 1536K: the largest exact binary unit. */
    public static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int u = 0;
        while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
            bytes /= 1024;
            u++;
        }
        return bytes + units[u];
    }
}
