package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `viridian switch …`: the host's virtual switches (Hyper-V's VMSwitch), through the host service's REST API. */
@Command(
        name = "switch",
        mixinStandardHelpOptions = true,
        description = "Manage the host's virtual switches through the host service (viridian serve).",
        subcommands = {
            SwitchCommand.List.class,
            SwitchCommand.Create.class,
            SwitchCommand.Show.class,
            SwitchCommand.Set.class,
            SwitchCommand.Delete.class
        })
public final class SwitchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static String switchPath(String name) {
        return "/api/v1/switches/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    /** The settings create and set share. */
    abstract static class Settings extends VmSubcommand {
        @Option(names = "--type", description = "private, internal, external or nat.")
        String type;

        @Option(
                names = "--host-address",
                paramLabel = "CIDR",
                description = "The host's address on an internal or nat switch, e.g. 10.0.0.1/24.")
        String hostAddress;

        @Option(
                names = "--external-interface",
                paramLabel = "IF",
                description = "The host interface an external switch is bridged to.")
        String externalInterface;

        @Option(names = "--notes", description = "Free text.")
        String notes;

        Map<String, Object> request() {
            Map<String, Object> r = new LinkedHashMap<>();
            if (type != null) r.put("type", type);
            if (hostAddress != null) r.put("hostAddress", hostAddress);
            if (externalInterface != null) r.put("externalInterface", externalInterface);
            if (notes != null) r.put("notes", notes);
            return r;
        }

        /** One switch, as key: value lines (its ports and leases too) or JSON. */
        void printSwitch(JsonNode s, ServiceClient c) {
            if (connection.json) {
                printJson(s, c);
                return;
            }
            PrintWriter o = out();
            o.println(Messages.label("show.name") + s.path("name").asText());
            o.println(Messages.label("switch.type") + s.path("type").asText());
            if (s.path("hostAddress").isTextual())
                o.println(Messages.label("switch.hostAddress")
                        + s.path("hostAddress").asText());
            if (s.path("externalInterface").isTextual())
                o.println(Messages.label("switch.interface")
                        + s.path("externalInterface").asText());
            o.println(Messages.label("switch.bridge") + s.path("bridge").asText());
            o.println(Messages.label("switch.hostState") + hostState(s));
            for (JsonNode p : s.path("ports"))
                o.println(Messages.label("switch.port") + p.path("vm").asText() + "/"
                        + p.path("adapter").asText()
                        + " " + p.path("mac").asText() + " ("
                        + Messages.state(p.path("vmState").asText()) + ")"
                        + VmNicCommand.policies(p));
            for (JsonNode l : s.path("leases"))
                o.println(Messages.label("switch.lease") + l.path("ipv4Address").asText() + " "
                        + l.path("mac").asText() + " "
                        + (l.path("hostname").isTextual() ? l.path("hostname").asText() : ""));
            if (!s.path("notes").asText().isEmpty())
                o.println(Messages.label("show.notes") + s.path("notes").asText());
            o.flush();
        }
    }

    static String hostState(JsonNode s) {
        return s.path("hostState").asText()
                + (s.path("hostStateReason").isTextual()
                        ? ": " + s.path("hostStateReason").asText()
                        : "");
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the switches.")
    static final class List extends VmSubcommand {
        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode all = c.get("/api/v1/switches");
            if (connection.json) {
                printJson(all, c);
                return 0;
            }
            Table t = new Table(Messages.columns("name", "type", "hostAddress", "ports", "leases", "state"));
            for (JsonNode s : all)
                t.row(
                        s.path("name").asText(),
                        s.path("type").asText(),
                        s.path("hostAddress").isTextual()
                                ? s.path("hostAddress").asText()
                                : s.path("externalInterface").isTextual()
                                        ? "(" + s.path("externalInterface").asText() + ")"
                                        : null,
                        s.path("ports").size(),
                        s.path("leases").size(),
                        hostState(s));
            t.print(out());
            return 0;
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Define a switch and build it on the host (like New-VMSwitch).")
    static final class Create extends Settings {
        @Parameters(index = "0", paramLabel = "NAME", description = "a-z, 0-9 and '-', up to 31 characters.")
        String name;

        @Override
        public Integer call() {
            if (type == null) throw new IllegalArgumentException(Messages.get("error.typeRequired"));
            ServiceClient c = connection.client();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", name);
            r.putAll(request());
            JsonNode s = c.post("/api/v1/switches", r);
            if (connection.json) printJson(s, c);
            else {
                out().println(Messages.get(
                        "switch.created", name, s.path("type").asText(), hostState(s)));
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a switch, its ports and leases.")
    static final class Show extends Settings {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            printSwitch(c.get(switchPath(name)), c);
            return 0;
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = "Change a switch (like Set-VMSwitch); the given settings only.")
    static final class Set extends Settings {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Map<String, Object> r = request();
            if (r.isEmpty()) throw new IllegalArgumentException(Messages.get("error.nothingToChange"));
            ServiceClient c = connection.client();
            printSwitch(c.patch(switchPath(name), r), c);
            return 0;
        }
    }

    @Command(
            name = "delete",
            aliases = "rm",
            mixinStandardHelpOptions = true,
            description = "Delete a switch no VM adapter names (like Remove-VMSwitch).")
    static final class Delete extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            connection.client().delete(switchPath(name));
            out().println(Messages.get("switch.deleted", name));
            out().flush();
            return 0;
        }
    }
}
