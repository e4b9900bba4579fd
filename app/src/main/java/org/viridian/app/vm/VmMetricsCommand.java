package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.viridian.app.cli.Messages;
import org.viridian.management.config.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * `viridian vm metrics VM`: what a running VM has used and done since it started (Hyper-V's Measure-VM, roughly): per
 * processor its CPU time and exits by reason, hypercalls, VMBus signals, disk and network I/O, resident memory.
 */
@Command(
        name = "metrics",
        mixinStandardHelpOptions = true,
        description = "Show a running VM's metrics since it started: CPU time and exits per processor, hypercalls, "
                + "VMBus signals, disk and network I/O, resident memory (the service's /metrics has them for "
                + "Prometheus).")
final class VmMetricsCommand extends VmSubcommand {
    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Override
    public Integer call() {
        ServiceClient c = connection.client();
        JsonNode m = c.get(path(vm) + "/metrics");
        if (connection.json) {
            printJson(m, c);
            return 0;
        }
        List<String[]> lines = new ArrayList<>();
        for (JsonNode vp : m.path("vps")) {
            long total = 0;
            List<String> reasons = new ArrayList<>();
            for (var e : vp.path("exits").properties()) {
                total += e.getValue().asLong();
                reasons.add(e.getKey() + " " + e.getValue().asLong());
            }
            lines.add(new String[] {
                "vp" + vp.path("index").asInt(),
                Messages.get(
                        "metrics.cpu",
                        String.format(Locale.ROOT, "%.3f", vp.path("cpuNanos").asLong() / 1e9),
                        total,
                        reasons.isEmpty() ? "" : " (" + String.join(", ", reasons) + ")")
            });
        }
        List<String> calls = new ArrayList<>();
        for (var e : m.path("hypercalls").properties())
            calls.add(e.getKey() + " " + e.getValue().asLong());
        lines.add(new String[] {
            Messages.get("metrics.hypercalls"),
            calls.isEmpty() ? Messages.get("metrics.none") : String.join(", ", calls)
        });
        lines.add(new String[] {
            "vmbus",
            Messages.get(
                    "metrics.signals",
                    m.at("/vmbusSignals/fromGuest").asLong(),
                    m.at("/vmbusSignals/toGuest").asLong())
        });
        for (JsonNode d : m.path("disks"))
            lines.add(new String[] {
                Messages.get("metrics.disk", d.path("slot").asText()),
                Messages.get(
                                "metrics.diskIo",
                                io(d.path("read")),
                                io(d.path("write")),
                                d.path("otherCommands").asLong())
                        + diskLimits(d) // the limits in force
            });
        for (JsonNode a : m.path("networkAdapters")) {
            List<String> drops = new ArrayList<>();
            for (var e : a.path("drops").properties())
                drops.add(e.getKey() + " " + e.getValue().asLong());
            lines.add(new String[] {
                Messages.get("metrics.nic", a.path("name").asText()),
                Messages.get(
                        "metrics.nicIo",
                        a.path("transmittedFrames").asLong(),
                        Sizes.human(a.path("transmittedBytes").asLong()),
                        a.path("receivedFrames").asLong(),
                        Sizes.human(a.path("receivedBytes").asLong()),
                        drops.isEmpty() ? "" : Messages.get("metrics.drops", String.join(", ", drops)))
            });
        }
        long resident = m.at("/memory/residentBytes").asLong();
        lines.add(new String[] {
            Messages.get("metrics.memory"),
            Messages.get(
                    "metrics.resident",
                    resident < 0 ? Messages.get("metrics.unknown") : Sizes.human(resident),
                    Sizes.human(m.at("/memory/assignedBytes").asLong()))
        });
        // Values start in one column: 13, as ever in English, or past the language's widest label.
        int w = Math.max(
                13, lines.stream().mapToInt(l -> Messages.width(l[0]) + 1).max().orElse(0));
        PrintWriter o = out();
        for (String[] l : lines) o.print(Messages.pad(l[0], w) + l[1] + "\n");
        o.flush();
        return 0;
    }

    private static String io(JsonNode io) {
        long n = io.path("requests").asLong();
        String s =
                Messages.get("metrics.requests", n, Sizes.human(io.path("bytes").asLong()));
        if (n > 0)
            s += Messages.get(
                    "metrics.latency",
                    String.format(Locale.ROOT, "%.2f", io.path("latencyNanos").asLong() / 1e6 / n));
        if (io.path("errors").asLong() > 0)
            s += Messages.get("metrics.failed", io.path("errors").asLong());
        return s;
    }
}
