package org.viridian.management.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus' text exposition format, version 0.0.4: per metric family one {@code # HELP} and one {@code # TYPE} line,
 * then all of its samples together, whatever order they were added in. Label values and help text are escaped as the
 * format says (backslash, double quote and line feed in label values; backslash and line feed in help).
 */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private record Family(String type, String help, List<String> samples) {}

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Declares a family (counter, gauge, histogram); declaring it again changes nothing. */
    PrometheusText family(String name, String type, String help) {
        families.computeIfAbsent(name, n -> new Family(type, help, new ArrayList<>()));
        return this;
    }

    /** A sample of family {@code family} named {@code name} (the family's, or a histogram's _bucket/_sum/_count). */
    PrometheusText sample(String family, String name, double value, String... labels) {
        Family f = families.get(family);
        if (f == null) throw new IllegalArgumentException("undeclared family " + family);
        if (labels.length % 2 != 0) throw new IllegalArgumentException("labels come as name, value pairs");
        StringBuilder b = new StringBuilder(name);
        if (labels.length > 0) {
            b.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (i > 0) b.append(',');
                b.append(labels[i])
                        .append("=\"")
                        .append(escapeLabel(labels[i + 1]))
                        .append('"');
            }
            b.append('}');
        }
        f.samples().add(b.append(' ').append(number(value)).toString());
        return this;
    }

    /** A sample named as its family. */
    PrometheusText sample(String family, double value, String... labels) {
        return sample(family, family, value, labels);
    }

    /**
     * A histogram's samples: cumulative {@code _bucket}s for {@code bounds} and +Inf from per-bucket counts (the last
     * count: above every bound), then {@code _sum} and {@code _count}.
     */
    PrometheusText histogram(String family, List<Double> bounds, List<Long> perBucket, double sum, String... labels) {
        long cumulative = 0;
        for (int i = 0; i <= bounds.size(); i++) {
            cumulative += perBucket.get(i);
            String le = i < bounds.size() ? number(bounds.get(i)) : "+Inf";
            sample(family, family + "_bucket", cumulative, with(labels, "le", le));
        }
        sample(family, family + "_sum", sum, labels);
        return sample(family, family + "_count", cumulative, labels);
    }

    private static String[] with(String[] labels, String name, String value) {
        String[] out = java.util.Arrays.copyOf(labels, labels.length + 2);
        out[labels.length] = name;
        out[labels.length + 1] = value;
        return out;
    }

    /** The document; families without samples are left out. */
    String render() {
        StringBuilder out = new StringBuilder();
        families.forEach((name, f) -> {
            if (f.samples().isEmpty()) return;
            out.append("# HELP ")
                    .append(name)
                    .append(' ')
                    .append(escapeHelp(f.help()))
                    .append('\n');
            out.append("# TYPE ").append(name).append(' ').append(f.type()).append('\n');
            for (String s : f.samples()) out.append(s).append('\n');
        });
        return out.toString();
    }

    static String escapeLabel(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Integers without a fraction (counters of events read best that way), others as Java writes doubles. */
    static String number(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}
