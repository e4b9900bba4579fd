package org.viridian.management.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.SwitchConfig;
import org.viridian.management.config.SwitchConfigs;
import org.viridian.management.config.SwitchRequest;
import org.viridian.management.config.SwitchStore;
import org.viridian.management.state.VmState;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.NetworkConfigException;
import org.viridian.vswitch.SwitchHost;
import org.viridian.vswitch.SwitchSpec;

/**
 * The virtual switches this host service defines (Hyper-V's VMSwitch): their definitions (persisted before a change is
 * acknowledged) and their host side ({@link SwitchHost}: bridge, nftables, dnsmasq). At start the host is made to hold
 * exactly the stored switches ({@link SwitchHost#reconcile}), so what a crashed service left is removed or brought in
 * line. Without CAP_NET_ADMIN the definitions stay readable and every change is refused with the reason.
 */
public final class SwitchService implements SwitchPorts {
    private static final System.Logger LOG = System.getLogger(SwitchService.class.getName());

    /**
     * How the service reaches the host's switches. {@code ownsHost}: at start, remove every Viridian switch on the
     * host that is not stored (the one host service); otherwise only those this state directory made (several
     * services on one host, tests). {@code unavailable}: why switches cannot be made here (empty: they can).
     */
    public record HostAccess(SwitchHost host, boolean ownsHost, Optional<String> unavailable) {
        public static HostAccess system() {
            return new HostAccess(SwitchHost.system(), true, SwitchHost.unavailable());
        }

        /** The host's switches, of which this service owns only what it made. */
        public static HostAccess shared() {
            return new HostAccess(SwitchHost.system(), false, SwitchHost.unavailable());
        }
    }

    /** A switch and how the host holds it: "applied", "missing" (its bridge is gone), "failed" or "unavailable". */
    public record SwitchView(SwitchConfig config, String hostState, String hostStateReason, String bridge) {}

    /** A VM adapter that names the switch. */
    public record Port(String vmId, String vmName, VmState vmState, NetworkAdapter adapter) {}

    /** A DHCP lease of a NAT switch; {@code expires} null: never. */
    public record Lease(Instant expires, String mac, String ipv4Address, String hostname) {}

    private final SwitchStore store;
    private final HostAccess access;
    private final Supplier<List<VmView>> vms;
    private final Clock clock;
    private final Map<String, SwitchConfig> switches = new LinkedHashMap<>();
    private final Map<String, String> failures = new HashMap<>();
    private final List<String> loadProblems = new ArrayList<>();
    private Set<String> applied;

    /** {@code vms}: the VMs defined now (whose adapters are the switches' ports). */
    public SwitchService(SwitchStore store, HostAccess access, Supplier<List<VmView>> vms, Clock clock) {
        this.store = store;
        this.access = access;
        this.vms = vms;
        this.clock = clock;
    }

    /** Reads the definitions and makes the host hold exactly them. */
    public synchronized void load() throws IOException {
        SwitchStore.Loaded loaded = store.loadAll();
        loadProblems.addAll(loaded.problems());
        loaded.problems().forEach(p -> LOG.log(System.Logger.Level.WARNING, "unreadable switch definition: " + p));
        loaded.configs().forEach(c -> switches.put(c.name(), c));
        applied = store.applied();
        if (access.unavailable().isPresent()) return;
        if (switches.isEmpty() && applied.isEmpty() && !access.ownsHost()) return; // nothing of ours on the host
        List<SwitchSpec> wanted =
                switches.values().stream().map(SwitchConfig::spec).toList();
        Set<String> made = Set.copyOf(applied);
        try {
            access.host().reconcile(wanted, name -> access.ownsHost() || made.contains(name));
        } catch (NetworkConfigException e) {
            // One switch the host cannot build (an external interface gone) must not keep the others down.
            LOG.log(System.Logger.Level.WARNING, "reconciling the virtual switches: " + e.getMessage());
            for (SwitchConfig c : switches.values()) {
                try {
                    access.host().ensure(c.spec());
                } catch (NetworkConfigException x) {
                    failures.put(c.name(), x.getMessage());
                }
            }
        }
        applied.retainAll(switches.keySet());
        applied.addAll(switches.keySet());
        store.applied(applied);
    }

    public synchronized List<String> loadProblems() {
        return List.copyOf(loadProblems);
    }

    @Override
    public Optional<String> unavailable() {
        return access.unavailable();
    }

    public synchronized List<SwitchView> list() {
        return switches.values().stream().map(this::view).toList();
    }

    public synchronized SwitchView get(String name) {
        return view(config(name));
    }

    public synchronized boolean defined(String name) {
        return switches.containsKey(name);
    }

    /** The adapters of defined VMs that name the switch. */
    public List<Port> ports(String name) {
        List<Port> out = new ArrayList<>();
        for (VmView v : vms.get())
            for (NetworkAdapter a : v.config().networkAdapters())
                if (name.equals(a.switchName()))
                    out.add(new Port(
                            v.config().id().toString(),
                            v.config().name(),
                            v.status().state(),
                            a));
        return out;
    }

    /** The VM with this id, as defined now (null: gone). */
    public org.viridian.management.config.VmConfig vm(String id) {
        return vms.get().stream()
                .map(VmView::config)
                .filter(c -> c.id().toString().equals(id))
                .findFirst()
                .orElse(null);
    }

    /** A NAT switch's DHCP leases (none for other types, or while dnsmasq has handed out none). */
    public List<Lease> leases(String name) {
        SwitchConfig c;
        synchronized (this) {
            c = config(name);
        }
        if (!"nat".equals(c.type()) || access.unavailable().isPresent()) return List.of();
        List<Lease> out = new ArrayList<>();
        for (String line : access.host().leases(name).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) continue;
            try {
                long expiry = Long.parseLong(f[0]);
                out.add(new Lease(
                        expiry == 0 ? null : Instant.ofEpochSecond(expiry),
                        f[1],
                        f[2],
                        f[3].equals("*") ? null : f[3]));
            } catch (NumberFormatException e) {
                LOG.log(System.Logger.Level.DEBUG, "switch " + name + ": odd lease line " + line);
            }
        }
        return out;
    }

    public synchronized SwitchView create(SwitchRequest r) throws IOException {
        SwitchConfig c = SwitchConfigs.create(r, clock.instant());
        if (switches.containsKey(c.name()))
            throw ServiceException.conflict("name_taken", "a switch named '" + c.name() + "' already exists");
        requireFreeNetwork(c);
        requireAvailable("create switch '" + c.name() + "'");
        // On the host only once recorded as ours, so a crash before the definition is saved is cleaned up.
        applied.add(c.name());
        store.applied(applied);
        try {
            access.host().ensure(c.spec());
        } catch (NetworkConfigException e) {
            access.host().remove(c.name());
            applied.remove(c.name());
            store.applied(applied);
            throw hostError("cannot create switch '" + c.name() + "'", e);
        }
        store.save(c);
        switches.put(c.name(), c);
        failures.remove(c.name());
        return view(c);
    }

    /** Changes a switch; one whose type, interface or NAT network changes is built again (no running VM on it). */
    public synchronized SwitchView update(String name, SwitchRequest r) throws IOException {
        SwitchConfig old = config(name);
        SwitchConfig next = SwitchConfigs.update(old, r, clock.instant());
        requireFreeNetwork(next);
        if (!next.spec().equals(old.spec())) {
            requireAvailable("change switch '" + name + "'");
            boolean rebuild = !next.type().equals(old.type())
                    || !java.util.Objects.equals(next.externalInterface(), old.externalInterface())
                    || (next.type().equals("nat") && !next.hostAddress().equals(old.hostAddress()));
            if (rebuild) {
                List<String> running = ports(name).stream()
                        .filter(p -> p.vmState() != VmState.OFF && p.vmState() != VmState.CRASHED)
                        .map(Port::vmName)
                        .distinct()
                        .toList();
                if (!running.isEmpty())
                    throw ServiceException.conflict(
                            "switch_in_use",
                            "cannot change the type, interface or NAT network of switch '" + name
                                    + "' while VMs on it run: " + String.join(", ", running));
                access.host().remove(name);
            }
            try {
                access.host().ensure(next.spec());
                failures.remove(name);
            } catch (NetworkConfigException e) {
                failures.put(name, e.getMessage());
                try {
                    access.host().ensure(old.spec()); // back to what is stored
                    failures.remove(name);
                } catch (NetworkConfigException x) {
                    failures.put(name, x.getMessage());
                }
                throw hostError("cannot change switch '" + name + "'", e);
            }
        }
        store.save(next);
        switches.put(name, next);
        return view(next);
    }

    /** Deletes a switch; refused while a VM's adapter names it (disconnect or remove the adapter first). */
    public synchronized void delete(String name) throws IOException {
        config(name);
        List<String> users = ports(name).stream().map(Port::vmName).distinct().toList();
        if (!users.isEmpty())
            throw ServiceException.conflict(
                    "switch_in_use",
                    "switch '" + name + "' is in use by the network adapters of VM(s) " + String.join(", ", users)
                            + ": remove them or connect them elsewhere first");
        requireAvailable("delete switch '" + name + "'");
        store.delete(name); // first: a crash now leaves an applied switch that the next start removes
        switches.remove(name);
        failures.remove(name);
        access.host().remove(name);
        applied.remove(name);
        store.applied(applied);
    }

    /**
     * The switch a starting VM's adapter names, present on the host: the default NAT switch is defined on first use, a
     * defined one whose bridge went missing is built again.
     */
    @Override
    public synchronized void forVm(String vmName, String name) throws IOException {
        String why = access.unavailable().orElse(null);
        if (why != null)
            throw new IOException("VM '" + vmName + "' has a network adapter on switch '" + name + "', but " + why);
        if (!switches.containsKey(name)) {
            if (!name.equals(SwitchSpec.DEFAULT_NAT))
                throw new IOException("VM '" + vmName + "' has a network adapter on switch '" + name
                        + "', which is not defined (create it, or connect the adapter elsewhere)");
            create(new SwitchRequest(SwitchSpec.DEFAULT_NAT, "nat", null, null, "made on first use"));
        }
        SwitchConfig c = switches.get(name);
        try {
            access.host().ensure(c.spec());
        } catch (NetworkConfigException e) {
            failures.put(name, e.getMessage());
            throw e;
        }
    }

    private SwitchView view(SwitchConfig c) {
        String bridge = Names.bridge(c.name());
        String why = access.unavailable().orElse(null);
        if (why != null) return new SwitchView(c, "unavailable", why, bridge);
        if (failures.containsKey(c.name())) return new SwitchView(c, "failed", failures.get(c.name()), bridge);
        if (!Files.exists(Path.of("/sys/class/net", bridge)))
            return new SwitchView(
                    c,
                    "missing",
                    "its bridge " + bridge + " is gone from the host (built again when a VM starts)",
                    bridge);
        return new SwitchView(c, "applied", null, bridge);
    }

    private SwitchConfig config(String name) {
        SwitchConfig c = name == null ? null : switches.get(name);
        if (c == null)
            throw ServiceException.notFound("no switch named '"
                    + (name == null ? "" : name.length() > 40 ? name.substring(0, 40) : name) + "'");
        return c;
    }

    private void requireFreeNetwork(SwitchConfig c) {
        for (SwitchConfig o : switches.values())
            if (!o.name().equals(c.name()) && SwitchConfigs.overlaps(o, c))
                throw ServiceException.conflict(
                        "address_in_use",
                        "host address " + c.hostAddress() + " overlaps switch '" + o.name() + "' (" + o.hostAddress()
                                + ")");
    }

    private void requireAvailable(String what) {
        access.unavailable().ifPresent(why -> {
            throw ServiceException.conflict("host_cannot_make_switches", "cannot " + what + ": " + why);
        });
    }

    private static ServiceException hostError(String what, NetworkConfigException e) {
        return ServiceException.conflict("host_network_error", what + ": " + e.getMessage());
    }
}
