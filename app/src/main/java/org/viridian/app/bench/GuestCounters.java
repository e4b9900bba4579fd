package org.viridian.app.bench;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The peers guest's own counters around each fio job ({@link PeersGuest#DIAG} lines): where the guest's processor time
 * went (user, system, interrupts, soft interrupts, idle) and how many interrupts of each kind it took per I/O — the
 * guest's side of what an I/O costs on each engine.
 */
final class GuestCounters {
    private static final List<String> CPU_FIELDS =
            List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal");

    private GuestCounters() {}

    /** One line per job: the guest's CPU split over the job and its interrupts per I/O (the busiest first). */
    static List<String> describe(List<ConsoleLines.Line> lines, Map<String, FioJob.Figures> jobs) {
        Map<String, long[]> cpu = new HashMap<>();
        Map<String, Map<String, Long>> kvm = new HashMap<>();
        Map<String, Map<String, Long>> irq = new HashMap<>();
        for (ConsoleLines.Line l : lines) {
            if (!l.text().startsWith(PeersGuest.DIAG)) continue;
            String[] f = l.text().substring(PeersGuest.DIAG.length()).trim().split("\\s+");
            if (f.length < 3) continue;
            String key = f[0] + " " + f[1];
            try {
                if (f[2].equals("cpu")) {
                    kvm.put(key, l.kvmExits());
                    long[] t = new long[CPU_FIELDS.size()];
                    for (int i = 0; i < t.length && 3 + i < f.length; i++) t[i] = Long.parseLong(f[3 + i]);
                    cpu.put(key, t);
                } else if (f[2].equals("irq")) {
                    Map<String, Long> m = new LinkedHashMap<>();
                    for (int i = 3; i < f.length; i++) {
                        int colon = f[i].lastIndexOf(':');
                        if (colon > 0) m.put(f[i].substring(0, colon), Long.parseLong(f[i].substring(colon + 1)));
                    }
                    irq.put(key, m);
                }
            } catch (NumberFormatException e) {
                // a line the console garbled: that job's counters are left out
            }
        }
        List<String> out = new java.util.ArrayList<>();
        jobs.forEach((job, figures) -> {
            long[] a = cpu.get(job + " before"), b = cpu.get(job + " after");
            Map<String, Long> ia = irq.get(job + " before"), ib = irq.get(job + " after");
            if (a == null || b == null || ia == null || ib == null || figures.ios() == 0) return;
            long total = 0;
            for (int i = 0; i < a.length; i++) total += b[i] - a[i];
            StringBuilder s = new StringBuilder(job).append(": guest CPU");
            for (int i = 0; i < a.length; i++)
                if (b[i] - a[i] > 0 && total > 0)
                    s.append(" %s %.0f%%".formatted(CPU_FIELDS.get(i), 100.0 * (b[i] - a[i]) / total));
            // ticks are 10 ms: per I/O in µs
            s.append(", %.0f us of busy guest CPU per I/O; interrupts per I/O: "
                    .formatted((total - (b[3] - a[3])) * 10_000.0 / figures.ios()));
            s.append(ib.entrySet().stream()
                    .filter(e -> e.getValue() - ia.getOrDefault(e.getKey(), 0L) > 0)
                    .sorted((x, y) -> Long.compare(
                            y.getValue() - ia.getOrDefault(y.getKey(), 0L),
                            x.getValue() - ia.getOrDefault(x.getKey(), 0L)))
                    .limit(6)
                    .map(e -> "%s %.2f"
                            .formatted(
                                    e.getKey(),
                                    (e.getValue() - ia.getOrDefault(e.getKey(), 0L)) / (double) figures.ios()))
                    .collect(Collectors.joining(", ")));
            Map<String, Long> ka = kvm.getOrDefault(job + " before", Map.of()),
                    kb = kvm.getOrDefault(job + " after", Map.of());
            if (!ka.isEmpty() && !kb.isEmpty()) {
                s.append("; host KVM events per I/O (all exits, most handled in its kernel): ");
                s.append(KvmCounters.NAMES.stream()
                        .filter(n -> ka.containsKey(n) && kb.containsKey(n) && kb.get(n) > ka.get(n))
                        .map(n -> "%s %.2f".formatted(n, (kb.get(n) - ka.get(n)) / (double) figures.ios()))
                        .collect(Collectors.joining(", ")));
            }
            out.add(s.toString());
        });
        return out;
    }
}
