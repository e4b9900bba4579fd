package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `viridian vm flight-recorder VM`: a running VM's last exits and host actions, per VP, oldest first. */
@Command(
        name = "flight-recorder",
        mixinStandardHelpOptions = true,
        description = "Show a running VM's flight recorder: each processor's last exits (reason, RIP, CPL, the MSR, "
                + "port or MMIO access and its result) and host actions (hypercalls, injected exceptions, interrupts, "
                + "SynIC messages, timer expiries), oldest first.")
final class VmFlightRecorderCommand extends VmSubcommand {
    @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
    String vm;

    @Option(names = "--vp", paramLabel = "N", description = "Only virtual processor N.")
    Integer vp;

    @Option(names = "--last", paramLabel = "N", defaultValue = "0", description = "Only the last N entries (0: all).")
    int last;

    @Override
    public Integer call() {
        if (last < 0) throw new IllegalArgumentException(Messages.get("error.lastNegative"));
        ServiceClient c = connection.client();
        JsonNode all = c.get(path(vm) + "/flight-recorder");
        List<JsonNode> shown = new ArrayList<>();
        for (JsonNode e : all) if (vp == null || e.path("vp").asInt() == vp) shown.add(e);
        if (last > 0 && shown.size() > last) shown = shown.subList(shown.size() - last, shown.size());
        if (connection.json) {
            printJson(c.json().valueToTree(shown), c);
            return 0;
        }
        PrintWriter o = out();
        for (JsonNode e : shown) o.println(e.path("text").asText());
        o.flush();
        return 0;
    }
}
