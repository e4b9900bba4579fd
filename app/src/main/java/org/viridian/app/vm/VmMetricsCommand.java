package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
        PrintWriter o = out();
        for (JsonNode vp : m.path("vps")) {
            long total = 0;
            List<String> reasons = new ArrayList<>();
            for (var e : vp.path("exits").properties()) {
                total += e.getValue().asLong();
                reasons.add(e.getKey() + " " + e.getValue().asLong());
            }
            o.printf(
                    Locale.ROOT,
                    "vp%-10d cpu %.3f s, exits %d%s%n",
                    vp.path("index").asInt(),
                    vp.path("cpuNanos").asLong() / 1e9,
                    total,
                    reasons.isEmpty() ? "" : " (" + String.join(", ", reasons) + ")");
        }
        List<String> calls = new ArrayList<>();
        for (var e : m.path("hypercalls").properties())
            calls.add(e.getKey() + " " + e.getValue().asLong());
        o.printf("hypercalls   %s%n", calls.isEmpty() ? "none" : String.join(", ", calls));
        o.printf(
                "vmbus        signals from the guest %d, to the guest %d%n",
                m.at("/vmbusSignals/fromGuest").asLong(),
                m.at("/vmbusSignals/toGuest").asLong());
        for (JsonNode d : m.path("disks"))
            o.printf(
                    "disk %-7s read %s; write %s; other commands %d%n",
                    d.path("slot").asText(),
                    io(d.path("read")),
                    io(d.path("write")),
                    d.path("otherCommands").asLong());
        for (JsonNode a : m.path("networkAdapters")) {
            List<String> drops = new ArrayList<>();
            for (var e : a.path("drops").properties())
                drops.add(e.getKey() + " " + e.getValue().asLong());
            o.printf(
                    "nic %-8s transmitted %d frames (%s), received %d frames (%s)%s%n",
                    a.path("name").asText(),
                    a.path("transmittedFrames").asLong(),
                    Sizes.human(a.path("transmittedBytes").asLong()),
                    a.path("receivedFrames").asLong(),
                    Sizes.human(a.path("receivedBytes").asLong()),
                    drops.isEmpty() ? "" : "; drops: " + String.join(", ", drops));
        }
        long resident = m.at("/memory/residentBytes").asLong();
        o.printf(
                "memory       %s resident of %s%n",
                resident < 0 ? "unknown" : Sizes.human(resident),
                Sizes.human(m.at("/memory/assignedBytes").asLong()));
        o.flush();
        return 0;
    }

    private static String io(JsonNode io) {
        long n = io.path("requests").asLong();
        String s = n + " requests, " + Sizes.human(io.path("bytes").asLong());
        if (n > 0)
            s += String.format(
                    Locale.ROOT, ", %.2f ms average", io.path("latencyNanos").asLong() / 1e6 / n);
        if (io.path("errors").asLong() > 0) s += ", " + io.path("errors").asLong() + " failed";
        return s;
    }
}
