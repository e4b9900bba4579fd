package org.viridian.management.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads Prometheus' text exposition format (0.0.4) back, strictly: metric and label names by the format's grammar,
 * escaped label values, one TYPE per family before its samples, each family's samples together, and histograms'
 * buckets cumulative and ending in +Inf equal to _count. Anything else fails with the offending line.
 */
public final class PrometheusParser {
    private static final Pattern METRIC = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    public record Sample(String name, Map<String, String> labels, double value) {}

    public record Document(Map<String, String> types, Map<String, String> help, List<Sample> samples) {
        /** The samples named {@code name} whose labels include all of {@code labels} (name, value pairs). */
        public List<Sample> find(String name, String... labels) {
            return samples.stream()
                    .filter(s -> s.name().equals(name))
                    .filter(s -> {
                        for (int i = 0; i < labels.length; i += 2)
                            if (!labels[i + 1].equals(s.labels().get(labels[i]))) return false;
                        return true;
                    })
                    .toList();
        }

        /** The one sample so named and labelled. */
        public double value(String name, String... labels) {
            List<Sample> found = find(name, labels);
            if (found.size() != 1)
                throw new AssertionError(found.size() + " samples " + name + " " + List.of(labels) + ": " + found);
            return found.getFirst().value();
        }
    }

    private PrometheusParser() {}

    public static Document parse(String text) {
        Map<String, String> types = new LinkedHashMap<>(), help = new HashMap<>();
        List<Sample> samples = new ArrayList<>();
        Set<String> finished = new HashSet<>();
        String current = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) continue;
            try {
                if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                    String[] p = line.substring(7).split(" ", 2);
                    require(METRIC.matcher(p[0]).matches(), "bad metric name");
                    if (line.startsWith("# TYPE ")) {
                        require(!types.containsKey(p[0]), "second TYPE");
                        require(
                                samples.stream()
                                        .noneMatch(s -> family(s.name(), types).equals(p[0])),
                                "TYPE after samples");
                        require(
                                Set.of("counter", "gauge", "histogram", "summary", "untyped")
                                        .contains(p[1]),
                                "unknown type");
                        types.put(p[0], p[1]);
                    } else {
                        require(!help.containsKey(p[0]), "second HELP");
                        help.put(p[0], unescape(p.length > 1 ? p[1] : ""));
                    }
                    continue;
                }
                if (line.startsWith("#")) continue;
                Sample s = sample(line);
                String f = family(s.name(), types);
                if (!f.equals(current)) {
                    require(finished.add(f), "samples of " + f + " are not together");
                    current = f;
                }
                samples.add(s);
            } catch (RuntimeException e) {
                throw new AssertionError("line " + n + ": " + e.getMessage() + ": " + line, e);
            }
        }
        Document d = new Document(types, help, samples);
        types.forEach((name, type) -> {
            if (type.equals("histogram")) checkHistogram(d, name);
        });
        return d;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') i++;
        String name = line.substring(0, i);
        require(METRIC.matcher(name).matches(), "bad metric name");
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                require(LABEL.matcher(label).matches(), "bad label name " + label);
                require(line.charAt(eq + 1) == '"', "label value not quoted");
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char e = line.charAt(++j);
                        v.append(
                                switch (e) {
                                    case 'n' -> '\n';
                                    case '\\' -> '\\';
                                    case '"' -> '"';
                                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                                });
                    } else {
                        require(c != '\n', "raw line feed");
                        v.append(c);
                    }
                }
                require(labels.put(label, v.toString()) == null, "label " + label + " twice");
                i = j + 1;
                if (line.charAt(i) == ',') i++;
            }
            i++;
        }
        require(line.charAt(i) == ' ', "no space before the value");
        String[] rest = line.substring(i + 1).split(" ");
        require(rest.length <= 2, "more than a value and a timestamp");
        return new Sample(name, labels, number(rest[0]));
    }

    private static double number(String v) {
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }

    /** The family a sample belongs to: a histogram's _bucket, _sum and _count belong to the histogram. */
    private static String family(String name, Map<String, String> types) {
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                if ("histogram".equals(types.get(base)) || "summary".equals(types.get(base))) return base;
            }
        }
        return name;
    }

    private static void checkHistogram(Document d, String name) {
        Map<Map<String, String>, List<Sample>> series = new LinkedHashMap<>();
        for (Sample s : d.find(name + "_bucket")) {
            Map<String, String> l = new HashMap<>(s.labels());
            require(l.remove("le") != null, name + " bucket without le");
            series.computeIfAbsent(l, k -> new ArrayList<>()).add(s);
        }
        series.forEach((labels, buckets) -> {
            double last = -1, bound = Double.NEGATIVE_INFINITY;
            for (Sample b : buckets) {
                double le = number(b.labels().get("le"));
                require(le > bound, name + " buckets out of order");
                require(b.value() >= last, name + " buckets not cumulative");
                bound = le;
                last = b.value();
            }
            require(bound == Double.POSITIVE_INFINITY, name + " has no +Inf bucket");
            String[] l = labels.entrySet().stream()
                    .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
                    .toArray(String[]::new);
            require(d.value(name + "_count", l) == last, name + "_count is not the +Inf bucket");
            d.value(name + "_sum", l);
        });
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(++i);
                b.append(e == 'n' ? '\n' : e);
            } else b.append(c);
        }
        return b.toString();
    }

    private static void require(boolean ok, String why) {
        if (!ok) throw new IllegalArgumentException(why);
    }
}
