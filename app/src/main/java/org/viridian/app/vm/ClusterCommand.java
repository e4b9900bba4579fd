package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * `viridian cluster …`: the failover cluster the service's host is a member of (Hyper-V's Get-ClusterNode,
 * Suspend-ClusterNode -Drain, Resume-ClusterNode, Move-ClusterVirtualMachineRole), through its REST API.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "The failover cluster of the service's host (serve --cluster): members, clustered VMs, drain.",
        subcommands = {
            ClusterCommand.Status.class,
            ClusterCommand.Drain.class,
            ClusterCommand.Resume.class,
            ClusterCommand.Move.class
        })
public final class ClusterCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static String hostPath(String host) {
        return "/api/v1/cluster/hosts/" + URLEncoder.encode(host, StandardCharsets.UTF_8);
    }

    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            description = "Members (health, free memory, draining) and clustered VMs (owner, epoch, state).")
    static final class Status extends VmSubcommand {
        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode s = c.get("/api/v1/cluster");
            if (connection.json) printJson(s, c);
            else print(s, out());
            return 0;
        }
    }

    static void print(JsonNode s, PrintWriter o) {
        if (!s.path("enabled").asBoolean()) {
            o.println(Messages.get("cluster.notMember"));
            o.flush();
            return;
        }
        String member = Messages.get("cluster.member"), ensemble = Messages.get("cluster.ensemble");
        int w = Math.max(10, Math.max(Messages.width(member), Messages.width(ensemble)) + 2);
        o.print(Messages.pad(member + ":", w)
                + s.path("host").asText() + ", " + s.path("detail").asText()
                + (s.path("stale").asBoolean() ? Messages.get("cluster.stale") : "") + "\n"
                + Messages.pad(ensemble + ":", w)
                + Messages.get(
                        "cluster.session",
                        s.path("ensemble").asText(),
                        s.path("sessionTimeoutMs").asLong())
                + "\n\n");
        Table hosts = new Table(Messages.columns("host", "health", "vms", "memoryFree", "processors", "api"));
        for (JsonNode h : s.path("hosts")) {
            hosts.row(
                    h.path("name").asText(),
                    h.path("health").asText()
                            + (h.path("draining").asBoolean() ? Messages.get("cluster.draining") : ""),
                    h.path("vms").size(),
                    (h.path("memoryFree").asLong() >> 20) + " MiB",
                    h.path("processors").asInt(),
                    h.path("url").asText());
        }
        hosts.print(o);
        o.println();
        Table vms = new Table(
                Messages.columns("vm", "owner", "epoch", "state", "priority", "preferred", "shouldRun", "lastMove"));
        java.util.List<String> notes = new java.util.ArrayList<>();
        for (JsonNode v : s.path("vms")) {
            vms.row(
                    v.path("name").asText(),
                    v.path("owner").isNull()
                            ? Messages.get("cluster.failingOver")
                            : v.path("owner").asText(),
                    v.path("epoch").isNull() ? null : v.path("epoch").asLong(),
                    v.path("state").isNull()
                            ? null
                            : Messages.state(v.path("state").asText()),
                    v.path("priority").asText(),
                    v.path("preferredHosts").isEmpty() ? null : String.join(",", texts(v.path("preferredHosts"))),
                    Messages.get(v.path("running").asBoolean() ? "cluster.yes" : "cluster.no"),
                    lastMove(v.path("lastMove")));
            if (!v.path("lastMove").path("note").isMissingNode()
                    && !v.path("lastMove").path("note").isNull())
                notes.add(v.path("name").asText() + ": "
                        + v.path("lastMove").path("note").asText());
        }
        vms.print(o);
        if (!notes.isEmpty()) o.println();
        for (String n : notes) o.println(n);
        o.flush();
    }

    /** "quick A→B, paused 840 ms": how the VM last changed hosts (quick migration, cold move, failover). */
    static String lastMove(JsonNode m) {
        if (m.isMissingNode() || m.isNull()) return null;
        String from = m.path("from").isNull() || m.path("from").isMissingNode()
                ? ""
                : m.path("from").asText() + "→";
        String pause = m.path("pauseMs").isNumber()
                ? Messages.get("cluster.lastMove.paused", m.path("pauseMs").asLong())
                : "";
        String how = m.path("how").asText();
        String word = Messages.get("cluster.lastMove." + how);
        // A kind of move this CLI does not know (a newer service) is shown as the service names it.
        return (word.equals("cluster.lastMove." + how) ? how : word) + " " + from
                + m.path("to").asText() + pause;
    }

    private static java.util.List<String> texts(JsonNode a) {
        java.util.List<String> out = new java.util.ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Command(
            name = "drain",
            mixinStandardHelpOptions = true,
            description = "Move every VM off a member (planned moves) and keep new ones away until 'cluster resume'.")
    static final class Drain extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "HOST", description = "The member's --host-name.")
        String host;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode s = c.post(hostPath(host) + "/drain", null);
            if (connection.json) printJson(s, c);
            else {
                out().println(Messages.get("cluster.drainingHost", host));
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Let a drained member take VMs again.")
    static final class Resume extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "HOST", description = "The member's --host-name.")
        String host;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode s = c.post(hostPath(host) + "/resume", null);
            if (connection.json) printJson(s, c);
            else {
                out().println(Messages.get("cluster.resumed", host));
                out().flush();
            }
            return 0;
        }
    }

    @Command(
            name = "move",
            mixinStandardHelpOptions = true,
            description = "Move a clustered VM to another member: quick migration (saved there to the shared storage,"
                    + " resumed here) where its devices allow a save, else a clean shutdown there and a start here.")
    static final class Move extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM", description = "Clustered VM name or id.")
        String vm;

        @Parameters(index = "1", paramLabel = "HOST", description = "The target member's --host-name.")
        String host;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode v = c.post(
                    "/api/v1/cluster/vms/" + URLEncoder.encode(vm, StandardCharsets.UTF_8) + "/move",
                    Map.of("host", host));
            if (connection.json) printJson(v, c);
            else {
                out().println(Messages.get(
                        "cluster.moving",
                        v.path("name").asText(),
                        v.path("owner").asText(),
                        host));
                out().flush();
            }
            return 0;
        }
    }
}
