package org.viridian.app.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every `viridian vm …` command shares: the connection to the service and the output. */
abstract class VmSubcommand implements Callable<Integer> {
    @Mixin
    Connection connection;

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    static String path(String vm) {
        return "/api/v1/vms/" + URLEncoder.encode(vm, StandardCharsets.UTF_8).replace("+", "%20");
    }

    void printJson(JsonNode n, ServiceClient c) {
        try {
            out().println(c.json().writerWithDefaultPrettyPrinter().writeValueAsString(n));
            out().flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A job the service accepted: awaited (unless {@code noWait}), then its outcome as one line or JSON. */
    void printJob(JsonNode job, ServiceClient c, boolean noWait) {
        if (!noWait) job = c.awaitJob(job);
        if (connection.json) printJson(job, c);
        else
            out().println(job.get("kind").asText() + " " + job.get("status").asText() + ": "
                    + job.get("message").asText());
        out().flush();
    }

    /** One VM, as key: value lines or JSON. */
    void printVm(JsonNode vm, ServiceClient c) {
        if (connection.json) {
            printJson(vm, c);
            return;
        }
        PrintWriter o = out();
        o.printf(
                "name:         %s%nid:           %s%nstate:        %s (since %s)%n",
                vm.path("name").asText(),
                vm.path("id").asText(),
                vm.path("state").asText(),
                vm.path("stateSince").asText());
        if (!vm.path("lastExit").isNull() && !vm.path("lastExit").isMissingNode()) {
            o.printf("last exit:    %s%n", vm.at("/lastExit/reason").asText());
        }
        o.printf(
                "processors:   %d%nmemory:       %s%nboot:         %s%n",
                vm.path("cpus").asInt(), vm.path("memory").asText(), boot(vm.path("boot")));
        for (JsonNode d : vm.path("disks")) {
            o.printf(
                    "disk %-7s %s%s%n",
                    d.path("slot").asText() + ":",
                    d.path("path").asText(),
                    d.path("readOnly").asBoolean() ? " (read-only)" : "");
        }
        for (JsonNode n : vm.path("networkAdapters")) {
            o.printf(
                    "network:      %s %s -> %s%s%n",
                    n.path("name").asText(),
                    n.path("mac").asText(),
                    n.path("switchName").isNull()
                            ? "not connected"
                            : n.path("switchName").asText(),
                    VmNicCommand.policies(n));
        }
        JsonNode res = vm.path("resources");
        if (res.isObject()) {
            o.printf(
                    "resources:    affinity %s, limit %d %%, reserve %d %%, weight %d, memory limit %s%n",
                    res.path("processorAffinity").isTextual()
                            ? res.path("processorAffinity").asText()
                            : "all",
                    res.path("cpuLimit").asInt(),
                    res.path("cpuReserve").asInt(),
                    res.path("cpuRelativeWeight").asInt(),
                    res.path("memoryLimit").asText());
        }
        JsonNode controls = vm.path("resourceControls");
        if (controls.isObject()) {
            o.printf(
                    "controls:     %s%n",
                    controls.path("applied").asBoolean()
                            ? "applied (" + controls.path("mechanism").asText() + " "
                                    + controls.path("group").asText() + ")"
                            : "not applied: " + controls.path("reason").asText());
        }
        JsonNode is = vm.path("integrationServices");
        StringBuilder on = new StringBuilder();
        is.properties().forEach(e -> {
            if (e.getValue().asBoolean()) on.append(on.isEmpty() ? "" : ", ").append(e.getKey());
        });
        o.printf("integration:  %s%n", on.isEmpty() ? "none" : on);
        JsonNode guest = vm.path("guest");
        if (guest.isObject()) {
            o.printf("heartbeat:    %s%n", heartbeat(guest, java.time.Instant.now()));
            switch (guest.path("kvp").asText()) {
                case "ok" -> {
                    if (guest.path("osName").isTextual()) {
                        o.printf(
                                "guest os:     %s%s%n",
                                guest.path("osName").asText(),
                                guest.path("osVersion").isTextual()
                                        ? " " + guest.path("osVersion").asText()
                                        : "");
                    }
                    if (guest.path("fullyQualifiedDomainName").isTextual()) {
                        o.printf(
                                "guest name:   %s%n",
                                guest.path("fullyQualifiedDomainName").asText());
                    }
                    String ips = ipv4(vm, ", ");
                    o.printf("guest ipv4:   %s%n", ips.isEmpty() ? "none reported" : ips);
                }
                case "noAnswer" ->
                    o.printf("kvp:          no answer from the guest yet (its KVP daemon may not run)%n");
                default -> {}
            }
        }
        if (!vm.path("notes").asText().isEmpty())
            o.printf("notes:        %s%n", vm.path("notes").asText());
        o.flush();
    }

    /** The IPv4 addresses the running guest told through KVP, {@code separator} between; empty when it told none. */
    static String ipv4(JsonNode vm, String separator) {
        StringBuilder ips = new StringBuilder();
        vm.at("/guest/ipv4Addresses")
                .forEach(a -> ips.append(ips.isEmpty() ? "" : separator).append(a.asText()));
        return ips.toString();
    }

    /** "ok (last 2 s ago)", "no contact (last 40 s ago)", "no contact" or "not offered". */
    static String heartbeat(JsonNode guest, java.time.Instant now) {
        String last = "";
        if (guest.path("lastHeartbeat").isTextual()) {
            long s = java.time.Duration.between(
                            java.time.Instant.parse(guest.path("lastHeartbeat").asText()), now)
                    .toSeconds();
            last = " (last " + Math.max(0, s) + " s ago)";
        }
        return switch (guest.path("heartbeat").asText()) {
            case "ok" -> "ok" + last;
            case "noContact" -> "no contact" + last;
            case "notOffered" -> "not offered";
            default -> guest.path("heartbeat").asText();
        };
    }

    static String boot(JsonNode b) {
        return switch (b.path("type").asText()) {
            case "demo" -> "built-in guest " + b.path("guest").asText();
            case "kernel" ->
                b.path("kernel").asText()
                        + (b.path("initrd").isTextual()
                                ? " + " + b.path("initrd").asText()
                                : "");
            default -> b.toString();
        };
    }
}
