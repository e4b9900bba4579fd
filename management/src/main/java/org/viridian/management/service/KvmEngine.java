package org.viridian.management.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.viridian.devices.ic.Kvp;
import org.viridian.devices.ic.protocol.KvpPool;
import org.viridian.guests.TestGuests;
import org.viridian.machine.IntegrationService;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.machine.host.HostCheck;
import org.viridian.machine.state.StateFile;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.Disk;
import org.viridian.management.config.IntegrationServices;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.VmConfig;
import org.viridian.partition.PartitionExit;
import org.viridian.vswitch.PortSpec;

/**
 * VMs on this host's KVM, inside the service's process ({@link VirtualMachine}). Disks are served by the VM's synthetic
 * SCSI controller (StorVSP); network adapters are ports of the service's virtual switches ({@link SwitchService}),
 * served by NetVSP.
 */
public final class KvmEngine implements VmEngine {
    private static final System.Logger LOG = System.getLogger(KvmEngine.class.getName());

    private final Path guestDir;
    private final SwitchPorts switches;

    /** {@code guestDir}: where the built-in guests are unpacked for the loaders; no switches (VMs without adapters). */
    public KvmEngine(Path guestDir) {
        this(guestDir, null);
    }

    /** {@code switches}: where the VMs' network adapters are connected (null: adapters are refused). */
    public KvmEngine(Path guestDir, SwitchPorts switches) {
        this.guestDir = guestDir;
        this.switches = switches;
    }

    @Override
    public Optional<String> unavailableReason() {
        HostCheck.Report r = HostCheck.run();
        if (r.canRunVms()) return Optional.empty();
        return Optional.of("this host cannot run VMs: "
                + r.items().stream()
                        .filter(i -> i.status() == HostCheck.Status.FAIL)
                        .map(i -> i.name() + ": " + i.detail())
                        .collect(Collectors.joining("; "))
                + " (see 'viridian host check')");
    }

    @Override
    public RunningVm launch(VmConfig c, OutputStream console) throws IOException {
        return run(c, VirtualMachine.create(spec(c), ConsoleEndpoint.to(console)));
    }

    @Override
    public RunningVm restore(VmConfig c, OutputStream console, Path savedState) throws IOException {
        return run(c, VirtualMachine.restore(spec(c), ConsoleEndpoint.to(console), savedState));
    }

    /**
     * A small VM of the kind {@code c} describes (1 processor, the least memory, its integration services; no disks
     * or adapters, nothing of the VM's own is opened) built, saved, restored and closed: see VirtualMachine#warmUp.
     */
    @Override
    public void warmUp(VmConfig c) throws IOException, InterruptedException {
        VirtualMachine.warmUp(new VmSpec("warm-up", 1, VmSpec.MIN_MEMORY, guestDir, null, "")
                .withIntegrationServices(offered(c.integrationServices())));
    }

    /** The machine the VM's settings describe, for VirtualMachine's one recipe. */
    private VmSpec spec(VmConfig c) throws IOException {
        VmSpec spec =
                switch (c.boot()) {
                    case BootSource.DemoGuest g ->
                        new VmSpec(
                                c.name(),
                                c.cpus(),
                                c.memoryBytes(),
                                guest(g.guest()),
                                null,
                                g.cmdline().isEmpty() ? c.name() : g.cmdline());
                    case BootSource.Kernel k ->
                        new VmSpec(
                                c.name(),
                                c.cpus(),
                                c.memoryBytes(),
                                Path.of(k.kernel()),
                                k.initrd() == null ? null : Path.of(k.initrd()),
                                k.cmdline());
                };
        spec = spec.withIntegrationServices(offered(c.integrationServices()))
                // A disk's slot is its LUN on the synthetic SCSI controller.
                .withDisks(c.disks().stream()
                        .sorted(java.util.Comparator.comparingInt(Disk::slot))
                        .map(KvmEngine::disk)
                        .toList())
                .withNetworkAdapters(networkAdapters(c, switches));
        return spec;
    }

    private RunningVm run(VmConfig c, VirtualMachine vm) throws IOException {
        try {
            vm.start();
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
        Running running = new Running(vm, c.integrationServices().shutdown(), switches);
        // The spec's adapters are the settings' connected ones, in order (none on a host without switches).
        List<VirtualMachine.NetworkAdapterDevice> devices = vm.networkAdapters();
        if (!devices.isEmpty()) {
            int i = 0;
            for (NetworkAdapter a : c.networkAdapters())
                if (a.switchName() != null) running.plugged.put(Running.key(a), devices.get(i++));
        }
        return running;
    }

    /**
     * The VM's connected adapters with their ports' policies; each switch they name is present on the host when this
     * returns (the default NAT switch is defined on first use). Adapters without a switch are left out.
     */
    public static List<VmSpec.NetworkAdapter> networkAdapters(VmConfig c, SwitchPorts switches) throws IOException {
        List<VmSpec.NetworkAdapter> out = new ArrayList<>();
        String why = switches == null
                ? "this engine has no virtual switches"
                : switches.unavailable().orElse(null);
        if (why != null && c.networkAdapters().stream().anyMatch(a -> a.switchName() != null)) {
            // As a host without switches promises: everything else keeps working; the adapters stay unplugged.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "VM '" + c.name() + "' starts with its network adapters disconnected: " + why);
            return out;
        }
        for (NetworkAdapter a : c.networkAdapters()) {
            if (a.switchName() == null) continue;
            switches.forVm(c.name(), a.switchName());
            out.add(new VmSpec.NetworkAdapter(a.switchName(), port(a)));
        }
        return out;
    }

    static PortSpec port(NetworkAdapter a) {
        return new PortSpec(
                a.mac().toLowerCase(Locale.ROOT),
                a.vlanId() == null ? PortSpec.Vlan.UNTAGGED : PortSpec.Vlan.access(a.vlanId()),
                a.macSpoofGuard(),
                a.dhcpGuard(),
                a.routerGuard(),
                a.maxBandwidth(),
                List.of());
    }

    private static VmSpec.Disk disk(Disk d) {
        return new VmSpec.Disk(Path.of(d.path()), d.readOnly(), d.maxIops(), d.maxBytesPerSecond(), d.slot());
    }

    /** The VM settings' integration services that VMBus has a device for (guest services has none yet). */
    static Set<IntegrationService> offered(IntegrationServices is) {
        Set<IntegrationService> s = EnumSet.noneOf(IntegrationService.class);
        if (is.heartbeat()) s.add(IntegrationService.HEARTBEAT);
        if (is.shutdown()) s.add(IntegrationService.SHUTDOWN);
        if (is.timeSync()) s.add(IntegrationService.TIME_SYNC);
        if (is.keyValueExchange()) s.add(IntegrationService.KEY_VALUE_EXCHANGE);
        return s;
    }

    private synchronized Path guest(String name) throws IOException {
        Path p = guestDir.resolve(name);
        if (!Files.isRegularFile(p)) {
            Files.createDirectories(guestDir);
            TestGuests.extract(name, guestDir);
        }
        return p;
    }

    private record Running(
            VirtualMachine vm,
            boolean shutdownService,
            CompletableFuture<VmExit> exit,
            SwitchPorts switches,
            Map<String, VirtualMachine.NetworkAdapterDevice> plugged,
            org.viridian.devices.video.ScreenTracker screenTracker)
            implements RunningVm {
        /** How long a hot remove waits for the guest's driver to let go of the adapter (Linux: well under a second). */
        private static final Duration RELEASE_WAIT = Duration.ofSeconds(10);

        Running(VirtualMachine vm, boolean shutdownService, SwitchPorts switches) {
            this(
                    vm,
                    shutdownService,
                    vm.exit().thenApply(Running::describe),
                    switches,
                    new ConcurrentHashMap<>(),
                    new org.viridian.devices.video.ScreenTracker()); // the one reader: the service's copy
        }

        /** The settings' adapter names are unique in any case. */
        static String key(NetworkAdapter a) {
            return a.name().toLowerCase(Locale.ROOT);
        }

        static VmExit describe(PartitionExit e) {
            return switch (e) {
                case PartitionExit.PoweredOff p -> new VmExit("the guest powered off", 0, false, null);
                case PartitionExit.DebugExit d ->
                    new VmExit("the guest exited with status " + d.status(), d.status(), false, null);
                case PartitionExit.Reset r -> new VmExit("the guest reset the machine", 0, false, null);
                case PartitionExit.Stopped s -> new VmExit(s.why(), null, false, null);
                case PartitionExit.Crashed c ->
                    new VmExit("the VM crashed", 125, true, c.report().render());
            };
        }

        @Override
        public void pause() throws InterruptedException {
            vm.pause();
        }

        @Override
        public void resume() {
            vm.resume();
        }

        @Override
        public long save(Path file) throws IOException, InterruptedException {
            return vm.save(file, StateFile.Options.DEFAULT, done -> {});
        }

        @Override
        public void powerOff(String why) {
            vm.partition().requestExit(new PartitionExit.Stopped(why));
        }

        @Override
        public boolean requestShutdown() {
            // The shutdown integration service over VMBus, when the VM's settings offer it and the guest has opened it.
            return shutdownService && vm.requestGracefulShutdown(false);
        }

        @Override
        public void sendInput(byte[] bytes) {
            vm.sendConsoleInput(bytes);
        }

        @Override
        public void attachDisk(Disk disk) throws IOException {
            vm.attachDisk(KvmEngine.disk(disk));
        }

        @Override
        public void updateDisk(Disk disk) {
            vm.setDiskLimits(disk.slot(), disk.maxIops(), disk.maxBytesPerSecond());
        }

        @Override
        public void detachDisk(int slot) throws IOException {
            vm.detachDisk(slot);
        }

        @Override
        public void addNetworkAdapter(NetworkAdapter a) throws IOException {
            if (a.switchName() == null) return; // not connected: not plugged in, as at start
            plugged.put(key(a), vm.addNetworkAdapter(spec(a)));
        }

        @Override
        public void removeNetworkAdapter(NetworkAdapter a) {
            VirtualMachine.NetworkAdapterDevice d = plugged.remove(key(a));
            if (d == null) return;
            try {
                vm.removeNetworkAdapter(d).get(RELEASE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException x) {
                // The host's side is gone already; the guest keeps the channel's relid until its driver lets go.
                LOG.log(
                        System.Logger.Level.WARNING,
                        "VM '" + vm.spec().name() + "': the guest did not release network adapter '" + a.name()
                                + "' within " + RELEASE_WAIT.toSeconds() + " s");
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
            // The removed adapter's addresses are gone: the guest's KVP auto pool is read again now, not in up to 30 s.
            vm.kvp().ifPresent(k -> k.refreshIfOlder(KvpPool.AUTO, Duration.ZERO));
        }

        @Override
        public void updateNetworkAdapter(NetworkAdapter from, NetworkAdapter to) throws IOException {
            VirtualMachine.NetworkAdapterDevice d = plugged.get(key(from));
            if (to.switchName() == null) removeNetworkAdapter(from);
            else if (d == null) addNetworkAdapter(to);
            else plugged.put(key(to), vm.updateNetworkAdapter(d, spec(to)));
        }

        /** The adapter's port on its switch, which is present on the host once this returns. */
        private VmSpec.NetworkAdapter spec(NetworkAdapter a) throws IOException {
            if (switches == null) throw new IOException("this engine has no virtual switches");
            switches.forVm(vm.spec().name(), a.switchName());
            return new VmSpec.NetworkAdapter(a.switchName(), port(a));
        }

        @Override
        public List<RecorderEntry> flightRecorder() {
            return vm.partition().recorded().stream().map(RecorderEntry::of).toList();
        }

        @Override
        public VmMetrics metrics() {
            return Metrics.of(vm.metrics(), adapterNames());
        }

        @Override
        public byte[] screenshot() {
            return vm.video().flatMap(v -> v.screen()).map(f -> f.png()).orElse(new byte[0]);
        }

        @Override
        public org.viridian.devices.video.ScreenTracker.Changes screenChanges(long pixelBudget, boolean all) {
            if (all) screenTracker.forget();
            var now = vm.video().flatMap(v -> v.screen());
            return now.map(f -> screenTracker.changes(f, pixelBudget)).orElse(null);
        }

        @Override
        public void keys(java.util.List<org.viridian.devices.input.KeyEvent> keys) {
            vm.keyboard().ifPresent(k -> k.keys(keys));
        }

        @Override
        public void pointer(org.viridian.devices.input.PointerEvent p) {
            vm.mouse().ifPresent(m -> m.pointer(p));
        }

        /** The plugged-in adapters' names in the settings, by their slot on the VM. */
        private Map<Integer, String> adapterNames() {
            Map<Integer, String> names = new java.util.HashMap<>();
            for (var e : plugged.entrySet()) names.put(e.getValue().slot(), e.getKey());
            return names;
        }

        /** KVP's auto pool is read again when older than this (addresses change after boot). */
        private static final Duration KVP_REFRESH = Duration.ofSeconds(30);

        @Override
        public GuestIntegration integration() {
            Instant now = Instant.now();
            var hb = vm.heartbeat().orElse(null);
            Instant last = hb == null ? null : hb.state().lastAnswer();
            GuestIntegration.GuestKvp kvp = null;
            Kvp k = vm.kvp().orElse(null);
            if (k != null) {
                kvp = k.lastRead(KvpPool.AUTO)
                        .map(GuestIntegration.GuestKvp::fromAutoPool)
                        .orElse(GuestIntegration.GuestKvp.NO_ANSWER);
                k.refreshIfOlder(KvpPool.AUTO, KVP_REFRESH);
            }
            return new GuestIntegration(GuestIntegration.heartbeat(hb != null, last, now), last, kvp);
        }

        @Override
        public void close() {
            try {
                vm.close();
            } catch (IOException ignored) {
                // The console stream is the service's own buffer; nothing to report.
            }
        }
    }
}
