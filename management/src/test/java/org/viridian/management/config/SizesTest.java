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

    /** decimal() is BigDecimal's half-up rounding of the shortest decimal form, digit for digit. */
    @Test
    void decimalRoundsAsBigDecimal() {
        Random r = new Random(5);
        double[] edges = {0, -0.0, 0.05, 0.15, 0.25, 0.949, 0.95, 0.995, 9.995, 99.95, 1023.95, -1.25, -0.04, 1e-4, 2e7
        };
        for (int places = 0; places <= 3; places++) {
            for (double v : edges)
                assertThat(Sizes.decimal(v, places)).as("%s %d", v, places).isEqualTo(ref(v, places));
            for (int i = 0; i < 20_000; i++) {
                double v = r.nextInt(3) == 0 ? r.nextInt(100_000) / 1000.0 : (r.nextDouble() - 0.3) * 2000;
                assertThat(Sizes.decimal(v, places)).as("%s %d", v, places).isEqualTo(ref(v, places));
            }
        }
        assertThat(Sizes.decimal(0.125, 2)).isEqualTo("0.13");
        assertThat(Sizes.decimal(9.96, 1)).isEqualTo("10.0");
    }

    private static String ref(double v, int places) {
        return java.math.BigDecimal.valueOf(v)
                .setScale(places, java.math.RoundingMode.HALF_UP)
                .toPlainString();
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
