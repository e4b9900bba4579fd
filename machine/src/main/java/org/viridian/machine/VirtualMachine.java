package org.viridian.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.viridian.devices.ic.Heartbeat;
import org.viridian.devices.ic.Kvp;
import org.viridian.devices.ic.Shutdown;
import org.viridian.devices.ic.TimeSync;
import org.viridian.devices.input.SyntheticKeyboard;
import org.viridian.devices.input.SyntheticMouse;
import org.viridian.devices.legacy.AcpiPmBlock;
import org.viridian.devices.legacy.CmosRtc;
import org.viridian.devices.legacy.DebugExitPort;
import org.viridian.devices.legacy.I8042;
import org.viridian.devices.legacy.ResetControl;
import org.viridian.devices.legacy.Uart16550;
import org.viridian.devices.netvsp.NetVsp;
import org.viridian.devices.netvsp.TapPort;
import org.viridian.devices.pci.PciBus;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.StorVsp;
import org.viridian.devices.video.SyntheticVideo;
import org.viridian.hv.HvFeatures;
import org.viridian.hv.Hypervisor;
import org.viridian.hv.diag.EchoConnection;
import org.viridian.hv.diag.HvTestDevice;
import org.viridian.machine.acpi.AcpiConfig;
import org.viridian.machine.acpi.Aml;
import org.viridian.machine.acpi.AmlTerm;
import org.viridian.machine.acpi.ResourceTemplate;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.machine.host.HostCheck;
import org.viridian.machine.state.MachineState;
import org.viridian.machine.state.StateFile;
import org.viridian.machine.state.StateFileException;
import org.viridian.machine.state.StateHeader;
import org.viridian.partition.CpuidPolicy;
import org.viridian.partition.Partition;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.nested.ArchitecturalFallback;
import org.viridian.partition.nested.NestedHostCpuid;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.storage.ops.Images;
import org.viridian.vmbus.diag.EchoDevice;
import org.viridian.vmbus.server.VmbusServer;

/**
 * A VM assembled from its spec: a partition, the legacy devices every PC OS expects, firmware tables and a loaded
 * kernel. Start it, then wait on {@link #exit()}.
 */
public final class VirtualMachine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VirtualMachine.class.getName());

    private final VmSpec spec;
    private final Partition partition;
    private final ConsoleEndpoint console;
    private final Uart16550 uart;
    private final CmosRtc cmos;
    private final AcpiPmBlock pm;
    private Hypervisor hypervisor;
    private VmbusServer vmbus;
    private Heartbeat heartbeat;
    private Shutdown shutdown;
    private TimeSync timeSync;
    private Kvp kvp;
    private StorVsp storage;
    private NetworkAdapters adapters;
    private EchoDevice echo;
    private SyntheticVideo video;
    private SyntheticKeyboard keyboard;
    private SyntheticMouse mouse;
    /** How long the build's partition (KVM VM, memory, VPs) took: the rest of a build is devices. */
    private long partitionNanos;

    private VirtualMachine(VmSpec spec, Partition partition, ConsoleEndpoint console) {
        this.spec = spec;
        this.partition = partition;
        this.console = console;
        this.uart =
                new Uart16550(Uart16550.COM1, console.output(), level -> partition.irqLine(Uart16550.COM1_IRQ, level));
        this.cmos = new CmosRtc(Clock.systemUTC(), spec.memoryBytes());
        this.pm = new AcpiPmBlock(partition::requestExit, System::nanoTime);
    }

    /**
     * The one recipe: builds the VM the spec describes (partition, hypervisor interface, VMBus and its devices,
     * legacy devices, the spec's diagnostic devices, firmware tables, kernel in memory); nothing runs until
     * {@link #start()}. The CLI, the benchmarks, the service and the tests all come through here.
     */
    public static VirtualMachine create(VmSpec spec, ConsoleEndpoint console) throws IOException {
        return build(spec, console, true);
    }

    /**
     * The same VM rebuilt from a saved state ({@link #save}): built from its spec as {@link #create} does but with no
     * firmware or kernel loaded; memory, processors, the hypervisor interface, VMBus and devices come from {@code
     * file}. Nothing runs until {@link #start()}. A file that is truncated, corrupt, of another format or of another
     * VM is refused ({@link StateFileException}) and leaves nothing behind: neither the file nor the VM's disks change.
     */
    public static VirtualMachine restore(VmSpec spec, ConsoleEndpoint console, Path file) throws IOException {
        return restore(spec, console, file, true);
    }

    /** {@code log}: whether the VM's log hears the phases (not a warm-up's). */
    private static VirtualMachine restore(VmSpec spec, ConsoleEndpoint console, Path file, boolean log)
            throws IOException {
        long t0 = System.nanoTime();
        VirtualMachine vm = build(spec, console, false);
        try {
            long t1 = System.nanoTime();
            long[] memoryNanos = {0};
            MachineState s = StateFile.read(
                    file,
                    vm.partition.memory(),
                    new StateFile.Expected(spec.name(), spec.cpus(), spec.memoryBytes()),
                    n -> memoryNanos[0] = n);
            long t2 = System.nanoTime();
            vm.restoreFrom(s);
            // The phases, for whoever compares restore times (the VM's log keeps them).
            if (log)
                LOG.log(
                        System.Logger.Level.INFO,
                        "restored from {0} in {1} ms: build {2} ms (partition {6} ms), read {3} ms (memory {5} ms),"
                                + " put back {4} ms",
                        file,
                        (System.nanoTime() - t0) / 1_000_000,
                        (t1 - t0) / 1_000_000,
                        (t2 - t1) / 1_000_000,
                        (System.nanoTime() - t2) / 1_000_000,
                        memoryNanos[0] / 1_000_000,
                        vm.partitionNanos / 1_000_000);
            return vm;
        } catch (IOException | RuntimeException e) {
            vm.close();
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException)
                throw new StateFileException("the saved state does not fit this VM: " + e.getMessage(), e);
            throw e;
        }
    }

    /**
     * Builds a VM of {@code spec} (no guest is loaded: a small one, without adapters, is meant) with a scratch VHDX and
     * VHD disk added, saves it to a scratch file, restores it from there and closes both: a worker started ahead of
     * its VM runs this so that its VM's build, or restore, finds the recipe's classes initialized (the disk formats'
     * too), its native call stubs made and its code compiled, each seconds of a start where the CPU is slow. Nothing
     * is left behind.
     */
    public static void warmUp(VmSpec like) throws IOException, InterruptedException {
        Path scratchDir = Files.createTempDirectory("viridian-warm-up-");
        Path scratch = scratchDir.resolve("state.vmrs");
        try {
            List<VmSpec.Disk> disks = new java.util.ArrayList<>(like.disks());
            for (var format : List.of(org.viridian.storage.ImageFormat.VHDX, org.viridian.storage.ImageFormat.VHD)) {
                Path disk = scratchDir.resolve("disk." + format.name().toLowerCase(java.util.Locale.ROOT));
                Images.create(
                        disk,
                        new org.viridian.storage.ops.CreateOptions(
                                format, org.viridian.storage.ImageType.DYNAMIC, 4 << 20, 0, null));
                disks.add(new VmSpec.Disk(disk, false));
            }
            VmSpec spec = like.withDisks(disks);
            VirtualMachine vm = build(spec, ConsoleEndpoint.to(OutputStream.nullOutputStream()), false);
            try {
                stopIfInterrupted();
                vm.save(scratch, StateFile.Options.DEFAULT, done -> {}, false);
            } finally {
                closeUninterrupted(vm);
            }
            stopIfInterrupted();
            closeUninterrupted(restore(spec, ConsoleEndpoint.to(OutputStream.nullOutputStream()), scratch, false));
        } finally {
            try (var files = Files.list(scratchDir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(scratchDir);
        }
    }

    /** A warm-up stops between its steps once it is interrupted (its worker was handed its VM). */
    private static void stopIfInterrupted() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException("warm-up interrupted");
    }

    /** Closes {@code vm} whole even on an interrupted thread (its waits would end early), keeping the interrupt. */
    private static void closeUninterrupted(VirtualMachine vm) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            vm.close();
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /** Memory is in already; the order matters: LAPICs before VMBus may signal, TSC before timers re-arm. */
    private void restoreFrom(MachineState s) {
        partition.restore(s.partition());
        if ((s.hypervisor() == null) != (hypervisor == null))
            throw new IllegalArgumentException("the saved VM and this one differ in having the Hyper-V interface");
        if (hypervisor != null) hypervisor.restore(s.hypervisor());
        if ((s.vmbus() == null) != (vmbus == null))
            throw new IllegalArgumentException("the saved VM and this one differ in having VMBus");
        if (vmbus != null) vmbus.restore(s.vmbus());
        uart.restore(s.devices().uart());
        cmos.restore(s.devices().cmos());
        pm.restore(s.devices().pm());
    }

    /**
     * Saves the whole VM to {@code file} (see {@link StateFile}): pauses it, lets the disks finish what is in flight,
     * and writes processors, devices and memory. The VM stays paused afterwards (the caller powers it off, as
     * Save-VM does, or resumes it); on failure it runs on as it was and no file is left. Returns the file's size.
     */
    public long save(Path file, StateFile.Options options, java.util.function.LongConsumer progress)
            throws IOException, InterruptedException {
        return save(file, options, progress, true);
    }

    private long save(Path file, StateFile.Options options, java.util.function.LongConsumer progress, boolean log)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        boolean wasRunning = !partition.pauseRequested();
        pause();
        try {
            var header = new StateHeader(
                    spec.name(),
                    spec.cpus(),
                    spec.memoryBytes(),
                    java.time.Instant.now().toString(),
                    "viridian "
                            + java.util.Objects.requireNonNullElse(
                                    VirtualMachine.class.getPackage().getImplementationVersion(), "dev"));
            var hv = hypervisor == null ? null : hypervisor.state();
            var bus = vmbus == null ? null : vmbus.save();
            var devices = new MachineState.Devices(uart.state(), cmos.state(), pm.state());
            var state = new MachineState(header, partition.snapshot(), hv, bus, devices);
            long t1 = System.nanoTime();
            long size = StateFile.write(file, state, partition.memory(), options, progress);
            if (log)
                LOG.log(
                        System.Logger.Level.INFO,
                        "saved to {0} ({1} bytes) in {2} ms: pause, drain and state {3} ms, file {4} ms",
                        file,
                        size,
                        (System.nanoTime() - t0) / 1_000_000,
                        (t1 - t0) / 1_000_000,
                        (System.nanoTime() - t1) / 1_000_000);
            return size;
        } catch (IOException | RuntimeException e) {
            if (wasRunning) resume();
            throw e;
        }
    }

    private static VirtualMachine build(VmSpec spec, ConsoleEndpoint console, boolean load) throws IOException {
        Diagnostics diag = spec.diagnostics();
        HvFeatures hv = !spec.hyperV()
                ? null
                : (diag.userHypercalls() ? HvFeatures.standard().withUserHypercalls() : HvFeatures.standard())
                        .withTimers(
                                diag.timers() != Diagnostics.TimerOffer.NONE,
                                diag.timers() == Diagnostics.TimerOffer.DIRECT)
                        .withDoorbells(!diag.noDoorbells())
                        // Not on PVM: its guests' VMCALL is not the hardware-like path KVM's Hyper-V code expects.
                        .withSmpHypercalls(!diag.noSmpHypercalls()
                                && spec.cpus() > 1
                                && !HostCheck.isPvm()
                                && Partition.kernelTakesHyperVSmpHypercalls());
        long t0 = System.nanoTime();
        Partition partition = Partition.create(new Partition.Config(
                spec.name(), spec.cpus(), spec.memoryBytes(), cpuid(hv), spec.flightRecorderEntries()));
        long partitionNanos = System.nanoTime() - t0;
        VirtualMachine vm = null;
        try {
            // Instructions a nested KVM cannot emulate become the exception they architecturally raise (int3, ud2).
            partition.setEmulationFailureHandler(new ArchitecturalFallback());
            vm = new VirtualMachine(spec, partition, console);
            vm.partitionNanos = partitionNanos;
            AcpiConfig acpi = AcpiConfig.of(spec.cpus());
            if (hv != null) {
                vm.hypervisor = Hypervisor.attach(partition, hv);
                if (hv.synic()) {
                    vm.vmbus = VmbusServer.attach(vm.hypervisor, partition.memory());
                    vm.offerIntegrationServices();
                    vm.offerStorage();
                    vm.offerNetworkAdapters();
                    vm.offerConsole();
                    acpi = acpi.withDevice(vmbusDevice()).withDevice(pciRootDevice());
                }
            }
            vm.attachDevices();
            vm.attachDiagnostics(diag);
            if (load) GuestBoot.load(partition, spec, acpi);
            return vm;
        } catch (IOException | RuntimeException e) {
            if (vm != null && vm.storage != null) vm.storage.close();
            if (vm != null) vm.closeAdapters();
            partition.close();
            throw e;
        }
    }

    /** The integration services the spec asks for, each a VMBus device of its own. */
    private void offerIntegrationServices() {
        var wanted = spec.integrationServices();
        if (wanted.contains(IntegrationService.SHUTDOWN)) vmbus.addDevice(shutdown = new Shutdown());
        if (wanted.contains(IntegrationService.HEARTBEAT)) vmbus.addDevice(heartbeat = new Heartbeat());
        if (wanted.contains(IntegrationService.TIME_SYNC)) {
            vmbus.addDevice(
                    timeSync = new TimeSync(Clock.systemUTC(), hypervisor::referenceTime, Duration.ofSeconds(5)));
        }
        if (wanted.contains(IntegrationService.KEY_VALUE_EXCHANGE)) vmbus.addDevice(kvp = new Kvp());
    }

    /**
     * The synthetic SCSI controller with the spec's disks (LUNs as given, else 0, 1, … in order). Every VM with VMBus
     * has one, as a Hyper-V generation 2 VM does, so disks can be added while it runs.
     */
    private void offerStorage() throws IOException {
        // One queue per VP: the primary channel plus a sub-channel for each further VP (Linux asks for up to that
        // many).
        storage = new StorVsp(
                partition.memory(),
                UUID.nameUUIDFromBytes((spec.name() + "/scsi0").getBytes()),
                Math.min(spec.cpus() - 1, 16));
        try {
            for (int i = 0; i < spec.disks().size(); i++) {
                VmSpec.Disk d = spec.disks().get(i);
                attach(d.lun() >= 0 ? d.lun() : i, d);
            }
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
        vmbus.addDevice(storage);
    }

    /**
     * The graphical console's devices, as every Hyper-V VM has them: synthetic video (the guest's framebuffer, which
     * the host reads), keyboard and mouse (the host's input). Offered after the others so their relids stay put.
     */
    private void offerConsole() {
        vmbus.addDevice(video = new SyntheticVideo(partition.memory(), instance("video")));
        attachVideoPci();
        vmbus.addDevice(keyboard = new SyntheticKeyboard(instance("keyboard")));
        vmbus.addDevice(mouse = new SyntheticMouse(instance("mouse")));
    }

    /**
     * PCI bus 0 with Hyper-V's video function: a BIOS-booted Linux's hyperv_fb finds it before it takes a framebuffer.
     * The host bridge is the DSDT's PNP0A03 ({@link #pciRootDevice}); config mechanism #1 reaches the function.
     */
    private void attachVideoPci() {
        PciBus pci = new PciBus();
        pci.plug(SyntheticVideo.PCI_SLOT, SyntheticVideo.pciFunction());
        partition.io().register(PciBus.ADDRESS, 1, pci.addressPort());
        partition.io().register(PciBus.DATA, 4, pci.dataPort());
    }

    /**
     * The PCI host bridge (_HID PNP0A03): Linux scans a PCI bus only where ACPI describes a root bridge. It decodes
     * bus 0, owns the configuration ports, and forwards a 64 MiB window where the video function's BAR lies.
     */
    public static AmlTerm pciRootDevice() {
        return Aml.device(
                "PCI0",
                Aml.name("_HID", Aml.eisaId("PNP0A03")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_BBN", Aml.integer(0)),
                Aml.name(
                        "_CRS",
                        new ResourceTemplate()
                                .wordBusNumber(0, 0)
                                .io(PciBus.ADDRESS, 8)
                                .qwordMemory(true, false, SyntheticVideo.PCI_BAR, 64 << 20)
                                .build()));
    }

    private UUID instance(String device) {
        return UUID.nameUUIDFromBytes((spec.name() + "/" + device).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The synthetic video device (the guest's screen); none without VMBus. */
    public Optional<SyntheticVideo> video() {
        return Optional.ofNullable(video);
    }

    /** The synthetic keyboard (host → guest key events); none without VMBus. */
    public Optional<SyntheticKeyboard> keyboard() {
        return Optional.ofNullable(keyboard);
    }

    /** The synthetic mouse (host → guest pointer events); none without VMBus. */
    public Optional<SyntheticMouse> mouse() {
        return Optional.ofNullable(mouse);
    }

    /** The spec's synthetic network adapters, in order; more may be added while the VM runs. */
    private void offerNetworkAdapters() throws IOException {
        adapters = new NetworkAdapters(spec.name(), partition.memory(), vmbus, spec.cpus());
        for (VmSpec.NetworkAdapter a : spec.networkAdapters()) adapters.add(a);
    }

    /**
     * A plugged-in adapter: what it was asked to be, its TAP, the NetVSP serving it, its slot (numbers its TAP and its
     * VMBus instance) and its channel's relid.
     */
    public record NetworkAdapterDevice(
            VmSpec.NetworkAdapter spec, String tap, TapPort port, NetVsp netVsp, int slot, int relid) {}

    /** The VM's network adapters: the spec's, in order, then those added while it runs. */
    public List<NetworkAdapterDevice> networkAdapters() {
        return adapters == null ? List.of() : adapters.list();
    }

    /**
     * Adds a network adapter while the VM runs (hot add): its TAP joins the switch and its NetVSP is offered to the
     * guest, whose hv_netvsc probes it as a new interface.
     */
    public NetworkAdapterDevice addNetworkAdapter(VmSpec.NetworkAdapter a) throws IOException {
        return requireAdapters().add(a);
    }

    /**
     * Removes a network adapter while the VM runs (hot remove): the guest's channel is rescinded and the host's port and
     * TAP are gone when this returns; the future completes once the guest's driver has released the channel.
     */
    public CompletableFuture<Void> removeNetworkAdapter(NetworkAdapterDevice a) {
        return requireAdapters().remove(a);
    }

    /**
     * Applies changed port settings to a running adapter (switch, VLAN, guards, maximum bandwidth); a changed MAC
     * address is refused (IllegalArgumentException), as Hyper-V refuses it while the VM runs.
     */
    public NetworkAdapterDevice updateNetworkAdapter(NetworkAdapterDevice a, VmSpec.NetworkAdapter to)
            throws IOException {
        return requireAdapters().update(a, to);
    }

    private NetworkAdapters requireAdapters() {
        if (adapters == null) throw new IllegalStateException("this VM has no VMBus, so no network adapters");
        return adapters;
    }

    private void closeAdapters() {
        if (adapters != null) adapters.close();
    }

    private void attach(int lun, VmSpec.Disk d) throws IOException {
        var image = Images.open(d.path(), d.readOnly());
        try {
            storage.addDisk(lun, image, d.readOnly(), new TokenBucket(d.iops(), d.bytesPerSecond()));
        } catch (RuntimeException e) {
            image.close();
            throw e;
        }
    }

    /** Adds a disk while the VM runs (the guest is told to rescan its SCSI bus). */
    public void attachDisk(VmSpec.Disk d) throws IOException {
        if (storage == null) throw new IllegalStateException("this VM has no SCSI controller (it runs without VMBus)");
        if (d.lun() < 0) throw new IllegalArgumentException("a disk added to a running VM needs its LUN");
        attach(d.lun(), d);
    }

    /** Removes the disk at {@code lun} while the VM runs; its image is closed once its last request completed. */
    public void detachDisk(int lun) throws IOException {
        if (storage == null) throw new IllegalStateException("this VM has no SCSI controller (it runs without VMBus)");
        storage.removeDisk(lun);
    }

    /** Changes the IOPS/bandwidth limits (0: none) of the disk at {@code lun} while the VM runs. */
    public void setDiskLimits(int lun, long iops, long bytesPerSecond) {
        if (storage == null) throw new IllegalStateException("this VM has no SCSI controller (it runs without VMBus)");
        storage.setLimits(lun, new TokenBucket.Limits(iops, bytesPerSecond));
    }

    /** The synthetic SCSI controller; none when the VM has no VMBus. */
    public Optional<StorVsp> storage() {
        return Optional.ofNullable(storage);
    }

    /**
     * The guest's CPUID: the Hyper-V leaves when enlightened; on a PVM host, without the features whose instructions
     * KVM's emulator fails on in guest kernel mode (xsave family, cmpxchg16b, AVX).
     */
    private static CpuidPolicy cpuid(HvFeatures hv) {
        CpuidPolicy p = (leaves, vp, n) -> leaves;
        if (HostCheck.isPvm()) p = p.andThen(NestedHostCpuid.policy());
        if (hv != null) p = p.andThen(Hypervisor.cpuid(hv));
        return p;
    }

    /**
     * The VMBus root device as Hyper-V describes it (_HID "VMBus"): Linux's hv_vmbus probes only when ACPI has it.
     * Its resource template is empty: on x86 the VMBus interrupt is the SynIC's, not an ACPI IRQ.
     */
    static AmlTerm vmbusDevice() {
        return Aml.device(
                "VMBS",
                Aml.name("_HID", Aml.string("VMBus")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_CRS", new ResourceTemplate().build()));
    }

    /** The heartbeat integration service; none without VMBus or when not offered. */
    public Optional<Heartbeat> heartbeat() {
        return Optional.ofNullable(heartbeat);
    }

    /** The time synchronization integration service; none without VMBus or when not offered. */
    public Optional<TimeSync> timeSync() {
        return Optional.ofNullable(timeSync);
    }

    /** The data exchange (KVP) integration service; none without VMBus or when not offered. */
    public Optional<Kvp> kvp() {
        return Optional.ofNullable(kvp);
    }

    /** The VMBus echo channel of a spec that asked for it (its statistics, for benchmarks). */
    public Optional<EchoDevice> echo() {
        return Optional.ofNullable(echo);
    }

    /**
     * Asks the guest to shut down (or restart) through its shutdown integration service. False when the guest has no
     * such service open (no VMBus, or its driver is not loaded yet): then only a hard power-off stops it.
     */
    public boolean requestGracefulShutdown(boolean restart) {
        return shutdown != null && shutdown.request(restart);
    }

    private void attachDevices() {
        var io = partition.io();
        io.register(Uart16550.COM1, 8, uart);
        io.register(DebugExitPort.PORT, DebugExitPort.SIZE, new DebugExitPort(partition::requestExit));
        I8042 kbc = new I8042(partition::requestExit);
        io.register(I8042.DATA, 1, kbc);
        io.register(I8042.COMMAND, 1, kbc);
        io.register(ResetControl.PORT, 1, new ResetControl(partition::requestExit));
        io.register(CmosRtc.INDEX, 2, cmos);
        io.register(AcpiPmBlock.BASE, AcpiPmBlock.LENGTH, pm);
        console.connectInput(uart::receive);
    }

    /** The spec's test and benchmark devices. */
    private void attachDiagnostics(Diagnostics d) {
        if (d.hvEcho()) EchoConnection.install(hypervisor);
        if (d.hvTestDevice()) {
            var synics = java.util.stream.IntStream.range(0, hypervisor.vpCount())
                    .mapToObj(hypervisor::synic)
                    .toList();
            partition
                    .io()
                    .register(
                            HvTestDevice.PORT, HvTestDevice.SIZE, new HvTestDevice(hypervisor.messageCalls(), synics));
        }
        if (d.vmbusEcho()) vmbus.addDevice(echo = new EchoDevice());
        d.signalHandlers()
                .forEach((connection, handler) -> hypervisor.messageCalls().onEvent(connection, handler));
        for (Diagnostics.PortDevice p : d.ports()) partition.io().register(p.first(), p.count(), p.handler());
    }

    public VmSpec spec() {
        return spec;
    }

    /**
     * What the VM has used and done so far; cheap enough to read every second or two (no pause, no allocation on the
     * paths that count: the parts keep their counters anyway), from any thread.
     */
    public MachineMetrics metrics() {
        var signals = vmbus == null ? new VmbusServer.Signals(0, 0) : vmbus.signals();
        return new MachineMetrics(
                partition.vps().stream().map(VirtualProcessor::metrics).toList(),
                hypervisor == null ? java.util.Map.of() : hypervisor.hypercallCounts(),
                signals.fromGuest(),
                signals.toGuest(),
                storage == null ? java.util.Map.of() : storage.diskCounters(),
                storage == null ? java.util.Map.of() : storage.diskLimits(),
                networkAdapters().stream()
                        .map(a -> new MachineMetrics.Adapter(
                                a.slot(), a.tap(), a.netVsp().counters()))
                        .toList(),
                spec.memoryBytes(),
                partition.memory().residentBytes());
    }

    public Partition partition() {
        return partition;
    }

    public void start() {
        partition.start();
    }

    public void pause() throws InterruptedException {
        partition.pause();
    }

    public void resume() {
        partition.resume();
        // Devices that stopped their own work for a save (NetVSP's frames) take it up again.
        if (vmbus != null) vmbus.resumed();
        // The guest's clock stood still while paused: time sync asks it to set the clock again.
        if (timeSync != null) timeSync.resumed();
    }

    /** Hard power-off, as pulling the plug. */
    public void powerOff() {
        partition.requestExit(new PartitionExit.Stopped("powered off by the host"));
    }

    public CompletableFuture<PartitionExit> exit() {
        return partition.exit();
    }

    public void sendConsoleInput(byte[] bytes) {
        uart.receive(bytes);
    }

    @Override
    public void close() throws IOException {
        if (vmbus != null) vmbus.shutdown();
        if (storage != null) storage.close(); // waits for in-flight disk I/O, which may still touch guest memory
        closeAdapters(); // their reader threads write into guest memory: stopped before it goes
        partition.close();
        console.close();
    }
}
