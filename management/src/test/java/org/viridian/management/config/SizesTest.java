package org.viridian.management.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SizesTest {
    /** human() formats by hand (no java.util.Formatter at start-up) and must read exactly as %.0f / %.1f did. */
    @Test
    void humanReadsAsTheFormatterDid() {
        Random r = new Random(3);
        long[] edges = {0, 1, 1023, 1024, 1536, 1075, 1076, 1177, 1048575, 1048576, 1610612736, Long.MAX_VALUE, -1536};
        for (long v : edges) assertThat(Sizes.human(v)).as("%d", v).isEqualTo(reference(v));
        for (int i = 0; i < 20_000; i++) {
            long v = r.nextLong() >>> r.nextInt(64);
            assertThat(Sizes.human(v)).as("%d", v).isEqualTo(reference(v));
        }
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
        assertThat(Sizes.human(512L << 20)).isEqualTo("512 MiB");
    }

    private static String reference(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0) return bytes + " B";
        return String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
    }
}
