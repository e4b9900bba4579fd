package org.viridian.app.vm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
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
            out().println(Messages.get(
                    "job.line",
                    Messages.orAsIs("job." + job.get("kind").asText()),
                    Messages.orAsIs("job." + job.get("status").asText()),
                    job.get("message").asText()));
        out().flush();
    }

    /** One VM, as key: value lines or JSON. */
    void printVm(JsonNode vm, ServiceClient c) {
        if (connection.json) {
            printJson(vm, c);
            return;
        }
        PrintWriter o = out();
        o.println(Messages.label("show.name") + vm.path("name").asText());
        o.println(Messages.label("show.id") + vm.path("id").asText());
        o.println(Messages.label("show.state")
                + Messages.get(
                        "show.stateSince",
                        Messages.state(vm.path("state").asText()),
                        vm.path("stateSince").asText()));
        if (!vm.path("lastExit").isNull() && !vm.path("lastExit").isMissingNode()) {
            o.println(
                    Messages.label("show.lastExit") + vm.at("/lastExit/reason").asText());
        }
        o.println(Messages.label("show.processors") + vm.path("cpus").asInt());
        o.println(Messages.label("show.memory") + vm.path("memory").asText());
        o.println(Messages.label("show.boot") + boot(vm.path("boot")));
        for (JsonNode d : vm.path("disks")) {
            o.println(Messages.labelOf(Messages.get("show.disk", d.path("slot").asText()))
                    + d.path("path").asText()
                    + (d.path("readOnly").asBoolean() ? " " + Messages.get("show.readOnly") : "")
                    + diskLimits(d));
        }
        for (JsonNode n : vm.path("networkAdapters")) {
            o.println(Messages.label("show.network") + n.path("name").asText() + " "
                    + n.path("mac").asText()
                    + " -> "
                    + (n.path("switchName").isNull()
                            ? Messages.get("show.notConnected")
                            : n.path("switchName").asText())
                    + VmNicCommand.policies(n));
        }
        JsonNode res = vm.path("resources");
        if (res.isObject()) {
            o.println(Messages.label("show.resources")
                    + Messages.get(
                            "show.resourcesValue",
                            res.path("processorAffinity").isTextual()
                                    ? res.path("processorAffinity").asText()
                                    : Messages.get("show.all"),
                            res.path("cpuLimit").asInt(),
                            res.path("cpuReserve").asInt(),
                            res.path("cpuRelativeWeight").asInt(),
                            res.path("memoryLimit").asText()));
        }
        JsonNode controls = vm.path("resourceControls");
        if (controls.isObject()) {
            o.println(Messages.label("show.controls")
                    + (controls.path("applied").asBoolean()
                            ? Messages.get(
                                    "show.controlsApplied",
                                    controls.path("mechanism").asText(),
                                    controls.path("group").asText())
                            : Messages.get(
                                    "show.controlsNotApplied",
                                    controls.path("reason").asText())));
        }
        JsonNode is = vm.path("integrationServices");
        StringBuilder on = new StringBuilder();
        is.properties().forEach(e -> {
            if (e.getValue().asBoolean()) on.append(on.isEmpty() ? "" : ", ").append(e.getKey());
        });
        o.println(Messages.label("show.integration") + (on.isEmpty() ? Messages.get("show.none") : on));
        JsonNode guest = vm.path("guest");
        if (guest.isObject()) {
            o.println(Messages.label("show.heartbeat") + heartbeat(guest, java.time.Instant.now()));
            switch (guest.path("kvp").asText()) {
                case "ok" -> {
                    if (guest.path("osName").isTextual()) {
                        o.println(Messages.label("show.guestOs")
                                + guest.path("osName").asText()
                                + (guest.path("osVersion").isTextual()
                                        ? " " + guest.path("osVersion").asText()
                                        : ""));
                    }
                    if (guest.path("fullyQualifiedDomainName").isTextual()) {
                        o.println(Messages.label("show.guestName")
                                + guest.path("fullyQualifiedDomainName").asText());
                    }
                    String ips = ipv4(vm, ", ");
                    o.println(Messages.label("show.guestIpv4")
                            + (ips.isEmpty() ? Messages.get("show.noneReported") : ips));
                }
                case "noAnswer" -> o.println(Messages.label("show.kvp") + Messages.get("show.kvpNoAnswer"));
                default -> {}
            }
        }
        if (!vm.path("notes").asText().isEmpty())
            o.println(Messages.label("show.notes") + vm.path("notes").asText());
        o.flush();
    }

    /** ", limits: IOPS 500, bandwidth 50M/s" for a disk with limits; "" for one without. */
    static String diskLimits(JsonNode disk) {
        long iops = disk.path("maxIops").asLong(),
                bps = disk.path("maxBytesPerSecond").asLong();
        if (iops == 0 && bps == 0) return "";
        String none = Messages.get("show.none");
        return Messages.get(
                "show.diskLimits",
                iops == 0 ? none : Long.toString(iops),
                bps == 0 ? none : org.viridian.management.config.Sizes.format(bps) + "/s");
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
            last = Messages.get("show.ago", Math.max(0, s));
        }
        return switch (guest.path("heartbeat").asText()) {
            case "ok" -> Messages.get("show.hbOk", last);
            case "noContact" -> Messages.get("show.hbNoContact", last);
            case "notOffered" -> Messages.get("show.hbNotOffered");
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
