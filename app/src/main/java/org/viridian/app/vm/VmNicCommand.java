package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;
import org.viridian.app.cli.Messages;
import org.viridian.app.run.NicOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `viridian vm nic add|remove|set`: a VM's network adapters and their port settings (Add-, Remove- and
 * Set-VMNetworkAdapter). The VM's adapter list is read, changed and written back (PATCH networkAdapters).
 */
@Command(
        name = "nic",
        mixinStandardHelpOptions = true,
        description = "Add, remove or change a VM's network adapters (VM off, or running: hot add and remove).",
        subcommands = {VmNicCommand.Add.class, VmNicCommand.Remove.class, VmNicCommand.Set.class})
final class VmNicCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** " vlan 7, spoof guard, max 100000000 bit/s" for an adapter or port with policies, else "". */
    static String policies(JsonNode n) {
        StringBuilder b = new StringBuilder();
        if (n.path("vlanId").isInt())
            b.append(", ").append(Messages.get("nic.vlan", n.path("vlanId").asInt()));
        if (n.path("macSpoofGuard").asBoolean()) b.append(", ").append(Messages.get("nic.spoofGuard"));
        if (n.path("dhcpGuard").asBoolean()) b.append(", ").append(Messages.get("nic.dhcpGuard"));
        if (n.path("routerGuard").asBoolean()) b.append(", ").append(Messages.get("nic.routerGuard"));
        if (n.path("maxBandwidth").asLong() > 0)
            b.append(", ")
                    .append(Messages.get(
                            "nic.maxBandwidth", n.path("maxBandwidth").asLong()));
        return b.isEmpty() ? "" : " (" + b.substring(2) + ")";
    }

    /** What add and set share: the adapter's settings; absent ones stay (set) or are off (add). */
    abstract static class Settings extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Option(names = "--name", description = "The adapter's name.")
        String name;

        @Option(names = "--switch", paramLabel = "SWITCH", description = "The switch to connect to (nat: the default).")
        String switchName;

        @Option(names = "--mac", description = "MAC address (default: a random one of 00:15:5D:…).")
        String mac;

        @Option(names = "--vlan", paramLabel = "N", description = "Access VLAN 1..4094 (0: untagged).")
        Integer vlan;

        @Option(
                names = "--max-bandwidth",
                paramLabel = "RATE",
                description = "Bits per second, e.g. 100M, 1G (0: no limit).")
        String maxBandwidth;

        @Option(names = "--spoof-guard", negatable = true, description = "MAC address spoofing guard.")
        Boolean spoofGuard;

        @Option(names = "--dhcp-guard", negatable = true, description = "Drop DHCP server messages from the VM.")
        Boolean dhcpGuard;

        @Option(names = "--router-guard", negatable = true, description = "Drop router advertisements from the VM.")
        Boolean routerGuard;

        void apply(ObjectNode a) {
            if (switchName != null) {
                if (switchName.equals("none")) a.putNull("switchName");
                else a.put("switchName", switchName);
            }
            if (mac != null) a.put("mac", mac.toUpperCase(Locale.ROOT).replace('-', ':'));
            if (vlan != null) {
                if (vlan == 0) a.putNull("vlanId");
                else a.put("vlanId", vlan);
            }
            if (maxBandwidth != null) {
                try {
                    a.put("maxBandwidth", NicOption.bits(maxBandwidth));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(Messages.get("error.notARate", maxBandwidth));
                }
            }
            if (spoofGuard != null) a.put("macSpoofGuard", spoofGuard);
            if (dhcpGuard != null) a.put("dhcpGuard", dhcpGuard);
            if (routerGuard != null) a.put("routerGuard", routerGuard);
        }

        /**
         * The VM's adapters after {@code change}, written back; says whether the change reached the running VM (the
         * service answers only once it did, and refuses with the reason when it cannot), then prints the VM.
         */
        void change(java.util.function.BiConsumer<ArrayNode, ServiceClient> change) {
            ServiceClient c = connection.client();
            JsonNode v = c.get(path(vm));
            ArrayNode adapters = ((ArrayNode) v.path("networkAdapters")).deepCopy();
            change.accept(adapters, c);
            JsonNode changed = c.patch(path(vm), Map.of("networkAdapters", adapters));
            if (!connection.json) {
                String state = changed.path("state").asText();
                out().println(
                                state.equals("running")
                                        ? "changed on the running VM and in its settings"
                                        : "changed in the VM's settings (it is " + state
                                                + "; they apply when it starts)");
            }
            printVm(changed, c);
        }

        /** The adapter called --name, or the only one when there is one and no --name. */
        ObjectNode find(ArrayNode adapters) {
            if (name == null) {
                if (adapters.size() == 1) return (ObjectNode) adapters.get(0);
                throw new IllegalArgumentException(Messages.get("error.whichAdapter", vm, adapters.size()));
            }
            for (JsonNode a : adapters) if (a.path("name").asText().equalsIgnoreCase(name)) return (ObjectNode) a;
            throw new IllegalArgumentException(Messages.get("error.noSuchAdapter", vm, name));
        }
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            description = "Add a network adapter, connected to --switch (like Add-VMNetworkAdapter).")
    static final class Add extends Settings {
        @Override
        public Integer call() {
            change((adapters, c) -> {
                ObjectNode a = c.json().createObjectNode();
                if (name != null) a.put("name", name);
                apply(a);
                adapters.add(a);
            });
            return 0;
        }
    }

    @Command(
            name = "set",
            mixinStandardHelpOptions = true,
            description = "Change an adapter: its switch (none: disconnect), VLAN, guards, bandwidth "
                    + "(like Set-VMNetworkAdapter).")
    static final class Set extends Settings {
        @Override
        public Integer call() {
            change((adapters, c) -> apply(find(adapters)));
            return 0;
        }
    }

    @Command(
            name = "remove",
            aliases = "rm",
            mixinStandardHelpOptions = true,
            description = "Remove an adapter (like Remove-VMNetworkAdapter).")
    static final class Remove extends Settings {
        @Override
        public Integer call() {
            change((adapters, c) -> {
                ObjectNode a = find(adapters);
                for (int i = 0; i < adapters.size(); i++) if (adapters.get(i) == a) adapters.remove(i);
            });
            return 0;
        }
    }
}
