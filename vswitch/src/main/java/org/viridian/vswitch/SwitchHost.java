package org.viridian.vswitch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The switches of this host, built from Linux's own networking: per switch a bridge (VLAN filtering on where the
 * kernel has it), an nftables table of port policies (bridge family), for NAT switches a NAT table (ip family) and a
 * dnsmasq; per VM adapter a port (its TAP device) enslaved to the bridge with its VLAN, guards, ACLs and a tc rate
 * limit. Everything it makes is named with a prefix of its own ({@link Names}), so {@link #reconcile} can find and
 * remove what a crashed service left behind. Needs CAP_NET_ADMIN: {@link #unavailable} says why not.
 */
public final class SwitchHost {
    private static final System.Logger LOG = System.getLogger(SwitchHost.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CAP_NET_ADMIN = 12;

    private final Path runtime;

    /** {@code runtime}: where per-switch files live (dnsmasq's pid and leases), e.g. /run/viridian/switches. */
    public SwitchHost(Path runtime) {
        this.runtime = runtime;
    }

    /** The host's switches as every Viridian process on it sees them (runtime files under /run/viridian/switches). */
    public static SwitchHost system() {
        return new SwitchHost(Path.of("/run/viridian/switches"));
    }

    /** Why switches cannot be made on this host (no CAP_NET_ADMIN, no iproute2 or nft), or empty when they can. */
    public static Optional<String> unavailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    if ((caps >>> CAP_NET_ADMIN & 1) == 0)
                        return Optional.of("virtual switches need CAP_NET_ADMIN (run the service as root); "
                                + "VMs without network adapters are not affected");
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.of("cannot read this process's capabilities: " + e.getMessage());
        }
        for (String tool : new String[] {"ip", "bridge", "nft", "tc"}) {
            if (!HostTool.quietly(tool, "-V"))
                return Optional.of(tool + " is missing: install iproute2 and nftables for virtual switches");
        }
        return Optional.empty();
    }

    /** Creates the switch, or brings an existing one in line with {@code spec}. Idempotent. */
    public synchronized void ensure(SwitchSpec spec) throws NetworkConfigException {
        String br = Names.bridge(spec.name());
        if (!exists(br)) {
            // VLAN filtering needs CONFIG_BRIDGE_VLAN_FILTERING; without it the switch works and VLAN ports are
            // refused.
            if (!HostTool.quietly("ip", "link", "add", "name", br, "type", "bridge", "vlan_filtering", "1"))
                HostTool.run("ip", "link", "add", "name", br, "type", "bridge");
        }
        HostTool.run("ip", "link", "set", "dev", br, "alias", Names.ALIAS_PREFIX + spec.name());
        setHostAddress(br, spec.type().hostAttached() ? spec.hostAddress() : null);
        if (spec.type() == SwitchType.EXTERNAL) {
            if (!exists(spec.externalInterface()))
                throw new NetworkConfigException(
                        "switch " + spec.name() + ": host interface " + spec.externalInterface() + " does not exist");
            HostTool.run("ip", "link", "set", "dev", spec.externalInterface(), "master", br);
            HostTool.run("ip", "link", "set", "dev", spec.externalInterface(), "up");
        }
        HostTool.run("ip", "link", "set", "dev", br, "up");
        nft(NftScripts.portTable(Names.table(spec.name())));
        if (spec.type() == SwitchType.NAT) {
            writeSysctl("/proc/sys/net/ipv4/ip_forward", "1");
            nft(NftScripts.natTable(
                    Names.table(spec.name()), br, spec.hostAddress().network()));
            if (!Dnsmasq.running(dir(spec.name()))) Dnsmasq.start(dir(spec.name()), br, spec.hostAddress());
        } else {
            HostTool.quietly("nft", "delete", "table", "ip", Names.table(spec.name()));
            Dnsmasq.stop(dir(spec.name()));
        }
    }

    /** Removes the switch and everything it owns (its ports are released, not deleted: their VMs own them). */
    public synchronized void remove(String switchName) {
        Dnsmasq.stop(dir(switchName));
        HostTool.quietly("nft", "delete", "table", "ip", Names.table(switchName));
        HostTool.quietly("nft", "delete", "table", "bridge", Names.table(switchName));
        HostTool.quietly("ip", "link", "del", "dev", Names.bridge(switchName));
        try {
            Files.deleteIfExists(dir(switchName).resolve("leases"));
            Files.deleteIfExists(dir(switchName).resolve("dnsmasq.log"));
            Files.deleteIfExists(dir(switchName).resolve("dnsmasq.conf"));
            Files.deleteIfExists(dir(switchName));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "switch " + switchName + ": " + e.getMessage());
        }
    }

    /** The switches present on the host, by name, with their bridges (what a previous service may have left). */
    public synchronized Map<String, String> present() throws NetworkConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode link : json(HostTool.run("ip", "-j", "-d", "link", "show", "type", "bridge"))) {
            String name = link.path("ifname").asText();
            String alias = link.path("ifalias").asText("");
            if (name.startsWith(Names.BRIDGE_PREFIX) && alias.startsWith(Names.ALIAS_PREFIX))
                out.put(alias.substring(Names.ALIAS_PREFIX.length()), name);
        }
        return out;
    }

    /**
     * Makes the host hold exactly {@code wanted}: switches (and their nftables tables and dnsmasq) that are not wanted
     * are removed, wanted ones are ensured, and policies of ports whose device is gone are dropped. Run at start-up,
     * so a service that crashed leaves nothing behind for long.
     */
    public synchronized void reconcile(Collection<SwitchSpec> wanted) throws NetworkConfigException {
        reconcile(wanted, name -> true);
    }

    /**
     * {@link #reconcile(Collection)} for an owner of some of the host's switches (several services on one host, e.g.
     * tests): only the unwanted switches that {@code owned} accepts are removed; the others are left alone.
     */
    public synchronized void reconcile(Collection<SwitchSpec> wanted, Predicate<String> owned)
            throws NetworkConfigException {
        Set<String> names = wanted.stream().map(SwitchSpec::name).collect(Collectors.toSet());
        for (String name : present().keySet()) if (!names.contains(name) && owned.test(name)) remove(name);
        for (JsonNode t : json(HostTool.run("nft", "-j", "list", "tables")).path("nftables")) {
            String table = t.path("table").path("name").asText("");
            if (!table.startsWith(Names.TABLE_PREFIX)) continue;
            String name = table.substring(Names.TABLE_PREFIX.length());
            if (!names.contains(name) && owned.test(name)) remove(name);
        }
        for (SwitchSpec s : wanted) {
            ensure(s);
            prunePorts(s.name());
        }
    }

    /** Connects a VM's port (its TAP device, up or not) to the switch with the port's policies; again to change them. */
    public synchronized void attach(String switchName, String ifname, PortSpec port) throws NetworkConfigException {
        String br = Names.bridge(switchName);
        if (!exists(br)) throw new NetworkConfigException("virtual switch " + switchName + " does not exist");
        if (!exists(ifname)) throw new NetworkConfigException("port device " + ifname + " does not exist");
        if (port.vlan().tagged() && !vlanFiltering(br))
            throw new NetworkConfigException("switch " + switchName + ": this kernel's bridges have no VLAN filtering"
                    + " (CONFIG_BRIDGE_VLAN_FILTERING), so VLAN " + port.vlan() + " cannot be set");
        HostTool.run("ip", "link", "set", "dev", ifname, "master", br);
        if (vlanFiltering(br)) setVlans(ifname, port.vlan());
        nft(NftScripts.port(Names.table(switchName), ifname, port));
        RateLimit.apply(ifname, port.maxBitsPerSecond());
        HostTool.run("ip", "link", "set", "dev", ifname, "up");
    }

    /** Takes the port off its switch and drops its policies (a TAP that closed is already gone from the bridge). */
    public synchronized void detach(String switchName, String ifname) {
        // One command each: a part already gone must not keep the rest from going.
        for (String command : NftScripts.removePort(Names.table(switchName), ifname)) {
            try {
                nft(command);
            } catch (NetworkConfigException e) {
                LOG.log(System.Logger.Level.DEBUG, "port " + ifname + ": " + e.getMessage());
            }
        }
        if (exists(ifname)) HostTool.quietly("ip", "link", "set", "dev", ifname, "nomaster");
    }

    /** The port's traffic and its policies' drops. */
    public synchronized PortCounters counters(String switchName, String ifname) throws NetworkConfigException {
        Path stats = Path.of("/sys/class/net", ifname, "statistics");
        Map<String, Long> dropped = new HashMap<>();
        JsonNode all = json(HostTool.run("nft", "-j", "list", "table", "bridge", Names.table(switchName)));
        for (JsonNode item : all.path("nftables")) {
            JsonNode rule = item.path("rule");
            if (rule.isMissingNode() || !rule.path("chain").asText().endsWith("-" + ifname)) continue;
            String policy = rule.path("comment").asText("");
            for (JsonNode e : rule.path("expr"))
                if (e.has("counter") && !policy.isEmpty() && !policy.endsWith("-allow"))
                    dropped.merge(policy, e.path("counter").path("packets").asLong(), Long::sum);
        }
        // The host's receive counters of a TAP are what the VM sent, and the reverse.
        return new PortCounters(
                readLong(stats.resolve("rx_packets")),
                readLong(stats.resolve("rx_bytes")),
                readLong(stats.resolve("tx_packets")),
                readLong(stats.resolve("tx_bytes")),
                dropped);
    }

    /** The DHCP leases of a NAT switch ("expiry mac ip hostname client-id" per line). */
    public String leases(String switchName) {
        return Dnsmasq.leases(dir(switchName));
    }

    private void prunePorts(String switchName) throws NetworkConfigException {
        JsonNode all = json(HostTool.run("nft", "-j", "list", "table", "bridge", Names.table(switchName)));
        for (JsonNode item : all.path("nftables")) {
            String chain = item.path("chain").path("name").asText("");
            if (chain.startsWith(NftScripts.FROM_VM + "-")) {
                String ifname = chain.substring(NftScripts.FROM_VM.length() + 1);
                if (!exists(ifname)) detach(switchName, ifname);
            }
        }
    }

    private void setHostAddress(String br, Ipv4Network address) throws NetworkConfigException {
        JsonNode info = json(HostTool.run("ip", "-j", "-4", "addr", "show", "dev", br));
        boolean same = false;
        for (JsonNode a : info.path(0).path("addr_info")) {
            if (address != null
                    && a.path("local").asText().equals(address.addressText())
                    && a.path("prefixlen").asInt() == address.prefix()) same = true;
            else
                HostTool.run(
                        "ip",
                        "addr",
                        "del",
                        a.path("local").asText() + "/" + a.path("prefixlen").asInt(),
                        "dev",
                        br);
        }
        if (address != null && !same) HostTool.run("ip", "addr", "add", address.toString(), "dev", br);
    }

    private static void setVlans(String ifname, PortSpec.Vlan vlan) throws NetworkConfigException {
        // Start from no VLAN at all, then the access VLAN untagged (as PVID) and the trunk's tagged.
        JsonNode now = json(HostTool.run("bridge", "-j", "vlan", "show", "dev", ifname));
        for (JsonNode port : now)
            for (JsonNode v : port.path("vlans"))
                HostTool.run(
                        "bridge",
                        "vlan",
                        "del",
                        "dev",
                        ifname,
                        "vid",
                        v.path("vlan").asText());
        int untagged = vlan.tagged() ? vlan.access() : 1;
        if (untagged != 0)
            HostTool.run("bridge", "vlan", "add", "dev", ifname, "vid", "" + untagged, "pvid", "untagged");
        for (int t : vlan.trunk()) HostTool.run("bridge", "vlan", "add", "dev", ifname, "vid", "" + t);
    }

    /** Whether the switch's bridge filters by VLAN (false also where the kernel lacks CONFIG_BRIDGE_VLAN_FILTERING). */
    public static boolean hasVlanFiltering(String switchName) {
        return vlanFiltering(Names.bridge(switchName));
    }

    private static boolean vlanFiltering(String br) {
        try {
            return Files.readString(Path.of("/sys/class/net", br, "bridge", "vlan_filtering"))
                    .trim()
                    .equals("1");
        } catch (IOException e) {
            return false;
        }
    }

    static boolean exists(String ifname) {
        return Files.exists(Path.of("/sys/class/net", ifname));
    }

    private Path dir(String switchName) {
        return runtime.resolve(switchName);
    }

    private static void nft(String script) throws NetworkConfigException {
        HostTool.withInput(script, "nft", "-f", "-");
    }

    private static void writeSysctl(String path, String value) throws NetworkConfigException {
        try {
            Files.writeString(Path.of(path), value);
        } catch (IOException e) {
            throw new NetworkConfigException("cannot write " + path + ": " + e.getMessage());
        }
    }

    private static long readLong(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static JsonNode json(String text) throws NetworkConfigException {
        try {
            return text.isBlank() ? JSON.createArrayNode() : JSON.readTree(text);
        } catch (IOException e) {
            throw new NetworkConfigException("unreadable JSON from a network tool: " + e.getMessage());
        }
    }
}
