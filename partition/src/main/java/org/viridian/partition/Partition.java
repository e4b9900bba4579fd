package org.viridian.partition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.viridian.kvm.Kvm;
import org.viridian.kvm.KvmConst;
import org.viridian.kvm.KvmVcpu;
import org.viridian.kvm.KvmVm;
import org.viridian.partition.bus.IoBus;
import org.viridian.partition.bus.MmioBus;
import org.viridian.partition.bus.MsrBus;
import org.viridian.partition.bus.VpPortTrap;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.state.PartitionSnapshot;
import org.viridian.partition.state.VpSnapshot;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.partition.vp.VpHost;
import org.viridian.partition.vp.VpState;
import org.viridian.x86.CpuidEntry;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * A child partition: KVM VM, guest RAM, N virtual processors and the buses their exits are dispatched to. A partition
 * that crashes only ends itself: its exit future completes with a report and the host process carries on.
 */
public final class Partition implements AutoCloseable, VpHost {
    /** Guest-physical pages KVM needs for Intel's real-mode TSS and identity map, inside the 32-bit MMIO hole. */
    static final long IDENTITY_MAP_ADDR = 0xFEFF_C000L, TSS_ADDR = 0xFEFF_D000L;

    static final int[] REQUIRED_CAPS = {
        KvmConst.KVM_CAP_IRQCHIP,
        KvmConst.KVM_CAP_USER_MEMORY,
        KvmConst.KVM_CAP_SET_TSS_ADDR,
        KvmConst.KVM_CAP_EXT_CPUID,
        KvmConst.KVM_CAP_PIT2,
        KvmConst.KVM_CAP_MP_STATE,
        KvmConst.KVM_CAP_SIGNAL_MSI,
        KvmConst.KVM_CAP_VCPU_EVENTS
    };

    /** What a partition is made of; {@code recorderEntries}: each VP's flight recorder size (0: none). */
    public record Config(String name, int vpCount, long memoryBytes, CpuidPolicy cpuid, int recorderEntries) {
        public Config {
            if (vpCount < 1 || vpCount > 255)
                throw new IllegalArgumentException("processors must be 1..255: " + vpCount);
            if (recorderEntries < 0) throw new IllegalArgumentException("recorder entries must not be negative");
        }

        public Config(String name, int vpCount, long memoryBytes, CpuidPolicy cpuid) {
            this(name, vpCount, memoryBytes, cpuid, FlightRecorder.DEFAULT_CAPACITY);
        }
    }

    private final Config config;
    private final Kvm kvm;
    private final KvmVm vm;
    private final GuestMemory memory;
    private final List<VirtualProcessor> vps = new ArrayList<>();
    private final IoBus io = new IoBus();
    private final MmioBus mmio = new MmioBus();
    private final MsrBus msrs = new MsrBus();
    private final Map<Integer, VpPortTrap> vpTraps = new ConcurrentHashMap<>();
    private final AtomicReference<PartitionExit> exitReason = new AtomicReference<>();
    private final CompletableFuture<PartitionExit> exit = new CompletableFuture<>();
    private final Object runLock = new Object();
    /** Whether the host CPU is AMD's (or Hygon's): its hypercall instruction is VMMCALL, Intel's VMCALL. */
    private boolean amd;

    private EmulationFailureHandler emulationFailures = EmulationFailureHandler.NONE;
    private volatile boolean paused;
    private int stoppedVps;

    private Partition(Config config, Kvm kvm, KvmVm vm, GuestMemory memory) {
        this.config = config;
        this.kvm = kvm;
        this.vm = vm;
        this.memory = memory;
    }

    /** Creates the KVM VM, its RAM and VPs. Fails with a message naming the missing device, capability or ioctl. */
    public static Partition create(Config config) {
        Kvm kvm = Kvm.open();
        try {
            if (kvm.apiVersion() != KvmConst.KVM_API_VERSION) {
                throw new IllegalStateException("KVM API version " + kvm.apiVersion() + ", need 12");
            }
            List<Integer> missing = kvm.missing(REQUIRED_CAPS);
            if (!missing.isEmpty()) throw new IllegalStateException("KVM lacks capabilities " + missing);
            KvmVm vm = kvm.createVm();
            GuestMemory memory = GuestMemory.allocate(config.memoryBytes());
            Partition p = new Partition(config, kvm, vm, memory);
            p.setUp();
            return p;
        } catch (RuntimeException e) {
            kvm.close();
            throw e;
        }
    }

    private void setUp() {
        vm.setIdentityMapAddress(IDENTITY_MAP_ADDR);
        vm.setTssAddress(TSS_ADDR);
        vm.createIrqchip();
        vm.createPit2();
        int slot = 0;
        for (GuestMemory.Region r : memory.regions()) {
            vm.setUserMemoryRegion(slot++, 0, r.gpa(), r.size(), r.host().address());
        }
        if (kvm.checkExtension(KvmConst.KVM_CAP_X86_USER_SPACE_MSR) > 0) {
            // MSRs KVM does not know, and those our filter denies, come to user space (synthetic MSRs, #GP policy).
            vm.enableCap(
                    KvmConst.KVM_CAP_X86_USER_SPACE_MSR,
                    KvmConst.KVM_MSR_EXIT_REASON_UNKNOWN | KvmConst.KVM_MSR_EXIT_REASON_FILTER);
        }
        // RIP of every exit for the flight recorder, copied out by KVM itself (no ioctl per exit). Not the segment
        // registers (CPL): copying those at every exit costs several times what the rest of the recorder does.
        int sync = config.recorderEntries() == 0
                ? 0
                : kvm.checkExtension(KvmConst.KVM_CAP_SYNC_REGS) & KvmConst.KVM_SYNC_X86_REGS;
        long origin = System.nanoTime();
        List<CpuidEntry> supported = kvm.supportedCpuid();
        // Leaf 0 EBX: "Auth" (AuthenticAMD) or "Hygo" (HygonGenuine).
        amd = supported.stream().anyMatch(e -> e.function() == 0 && (e.ebx() == 0x68747541 || e.ebx() == 0x6F677948));
        CpuidPolicy policy = CpuidPolicy.topology().andThen(config.cpuid() == null ? (l, v, n) -> l : config.cpuid());
        for (int i = 0; i < config.vpCount(); i++) {
            KvmVcpu vcpu = vm.createVcpu(i);
            vcpu.setCpuid(policy.apply(supported, i, config.vpCount()));
            FlightRecorder rec =
                    config.recorderEntries() == 0 ? null : new FlightRecorder(i, config.recorderEntries(), origin);
            vps.add(new VirtualProcessor(i, vcpu, this, rec, sync));
        }
    }

    /**
     * Whether this host's KVM answers the Hyper-V SMP hypercalls itself (remote TLB flush and synthetic cluster IPIs,
     * with their Ex forms) when they reach it by VMCALL; opens /dev/kvm briefly.
     */
    public static boolean kernelTakesHyperVSmpHypercalls() {
        try (Kvm k = Kvm.open()) {
            return k.checkExtension(KvmConst.KVM_CAP_HYPERV_TLBFLUSH) > 0
                    && k.checkExtension(KvmConst.KVM_CAP_HYPERV_SEND_IPI) > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The instruction that enters KVM's hypercall handler on this host: VMMCALL on AMD, VMCALL on Intel. */
    public byte[] kernelHypercallInstruction() {
        return amd ? new byte[] {0x0F, 0x01, (byte) 0xD9} : new byte[] {0x0F, 0x01, (byte) 0xC1};
    }

    public Config config() {
        return config;
    }

    public GuestMemory memory() {
        return memory;
    }

    public List<VirtualProcessor> vps() {
        return List.copyOf(vps);
    }

    public IoBus io() {
        return io;
    }

    public MmioBus mmio() {
        return mmio;
    }

    public MsrBus msrs() {
        return msrs;
    }

    /**
     * Makes a guest's 4-byte write of {@code value} to {@code port} signal {@code eventFd} inside KVM, with no exit to
     * user space (other values still exit to the port's handler); {@code assign} false undoes it. False where KVM
     * refuses (the writes then keep exiting to user space).
     */
    public boolean portDoorbell(int port, int value, int eventFd, boolean assign) {
        try {
            vm.ioeventfd(port, 4, eventFd, true, Integer.toUnsignedLong(value), !assign);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Claims a port for a VP-aware handler (e.g. hypercalls); it takes precedence over the I/O bus. */
    public void registerVpTrap(int port, VpPortTrap trap) {
        if (vpTraps.putIfAbsent(port, trap) != null || io.find(port) != null) {
            throw new IllegalArgumentException(String.format("port 0x%x already claimed", port));
        }
    }

    public void setEmulationFailureHandler(EmulationFailureHandler h) {
        this.emulationFailures = h;
    }

    /** Installs the MSR filter for the claimed synthetic MSRs and starts every VP's thread. */
    public void start() {
        int[][] claimed = msrs.claimedRanges();
        if (claimed.length > 0 && kvm.checkExtension(KvmConst.KVM_CAP_X86_MSR_FILTER) > 0) {
            List<KvmVm.MsrFilterRange> ranges = new ArrayList<>();
            for (int[] r : claimed) {
                // An all-zero bitmap denies the range in the kernel, so every access exits to us.
                ranges.add(new KvmVm.MsrFilterRange(
                        KvmConst.KVM_MSR_FILTER_READ | KvmConst.KVM_MSR_FILTER_WRITE,
                        r[0],
                        r[1],
                        new byte[(r[1] + 7) / 8]));
            }
            vm.setMsrFilter(KvmConst.KVM_MSR_FILTER_DEFAULT_ALLOW, ranges);
        }
        vps.forEach(VirtualProcessor::start);
    }

    /** Stops every VP at its next exit and waits until all are parked. */
    public void pause() throws InterruptedException {
        synchronized (runLock) {
            paused = true;
        }
        vps.forEach(VirtualProcessor::kick);
        synchronized (runLock) {
            while (vps.stream().anyMatch(v -> v.state() == VpState.RUNNING) && exitReason.get() == null)
                runLock.wait(100);
        }
    }

    public void resume() {
        synchronized (runLock) {
            paused = false;
            runLock.notifyAll();
        }
    }

    /** Ends the partition with {@code why} (the first reason wins) and kicks every VP out of the guest. */
    public void requestExit(PartitionExit why) {
        if (exitReason.compareAndSet(null, why)) {
            synchronized (runLock) {
                runLock.notifyAll();
            }
            vps.forEach(VirtualProcessor::kick);
            if (vps.stream().allMatch(v -> v.state() == VpState.CREATED || v.state() == VpState.STOPPED)) {
                exit.complete(why);
            }
        }
    }

    public CompletableFuture<PartitionExit> exit() {
        return exit;
    }

    /** Sends a message-signalled interrupt (address/data as a PCI device would write them) to the in-kernel LAPICs. */
    public void signalMsi(long address, int data) {
        vm.signalMsi((int) address, (int) (address >>> 32), data);
    }

    /** Raises or lowers an interrupt line of the in-kernel PIC/IOAPIC. */
    public void irqLine(int gsi, boolean level) {
        vm.irqLine(gsi, level);
    }

    /**
     * The processors' and in-kernel devices' state; only while paused (every VP parked and its last exit settled).
     * Guest memory is not in it: read it from {@link #memory()}, still paused.
     */
    public PartitionSnapshot snapshot() {
        synchronized (runLock) {
            if (!paused || vps.stream().anyMatch(v -> v.state() == VpState.RUNNING))
                throw new IllegalStateException("the partition must be paused for a snapshot");
        }
        int[] msrIndex = kvm.msrIndexList();
        List<VpSnapshot> cpus = vps.stream().map(v -> v.snapshot(msrIndex)).toList();
        return new PartitionSnapshot(
                cpus,
                List.of(
                        vm.irqchip(KvmVm.CHIP_PIC_MASTER),
                        vm.irqchip(KvmVm.CHIP_PIC_SLAVE),
                        vm.irqchip(KvmVm.CHIP_IOAPIC)),
                vm.pit2(),
                vm.clock());
    }

    /**
     * Puts a snapshot back before {@link #start()}: every VP, the PICs and IOAPIC, the PIT and kvmclock. Memory is
     * restored apart (into {@link #memory()}). IllegalArgumentException when it is for another shape of partition.
     */
    public void restore(PartitionSnapshot s) {
        if (s.vps().size() != vps.size())
            throw new IllegalArgumentException(
                    "the saved state has " + s.vps().size() + " processors, this VM " + vps.size());
        if (s.irqchips().size() != 3)
            throw new IllegalArgumentException("the saved state lacks an interrupt controller");
        for (int i = 0; i < vps.size(); i++) vps.get(i).restore(s.vps().get(i));
        s.irqchips().forEach(vm::setIrqchip);
        vm.setPit2(s.pit());
        vm.setClock(s.clock());
    }

    // ---- VpHost: called on VP threads.

    @Override
    public boolean pauseRequested() {
        return paused;
    }

    @Override
    public boolean awaitRunnable(VirtualProcessor vp) {
        synchronized (runLock) {
            while (paused && exitReason.get() == null) {
                vp.setStateForHost(VpState.PAUSED);
                runLock.notifyAll();
                try {
                    runLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (exitReason.get() != null) return false;
            vp.setStateForHost(VpState.RUNNING);
            return true;
        }
    }

    @Override
    public int portRead(VirtualProcessor vp, int port, int size) {
        var trap = vpTraps.get(port);
        return trap != null ? trap.access(vp, port, size, false, 0) : io.read(port, size);
    }

    @Override
    public void portWrite(VirtualProcessor vp, int port, int size, int value) {
        var trap = vpTraps.get(port);
        if (trap != null) {
            trap.access(vp, port, size, true, value);
        } else {
            io.write(port, size, value);
        }
    }

    @Override
    public long mmioRead(VirtualProcessor vp, long address, int size) {
        return mmio.read(address, size);
    }

    @Override
    public void mmioWrite(VirtualProcessor vp, long address, int size, long value) {
        mmio.write(address, size, value);
    }

    @Override
    public OptionalLong msrRead(int vp, int msr) {
        return msrs.read(vp, msr);
    }

    @Override
    public boolean msrWrite(int vp, int msr, long value) {
        return msrs.write(vp, msr, value);
    }

    @Override
    public boolean internalError(VirtualProcessor vp, int suberror, long[] data, byte[] instructionBytes) {
        byte[] insn = instructionBytes.length > 0 ? instructionBytes : InstructionFetch.atRip(vp, memory);
        if (suberror == KvmConst.KVM_INTERNAL_ERROR_EMULATION && emulationFailures.handle(vp, insn)) return true;
        String what =
                switch (suberror) {
                    case KvmConst.KVM_INTERNAL_ERROR_EMULATION -> "KVM could not emulate an instruction";
                    case KvmConst.KVM_INTERNAL_ERROR_SIMUL_EX -> "exception while delivering an exception";
                    case KvmConst.KVM_INTERNAL_ERROR_DELIVERY_EV -> "event delivery failed";
                    default -> "KVM internal error, suberror " + suberror;
                };
        StringBuilder d = new StringBuilder();
        for (long v : data) d.append(String.format(" %x", v));
        crash(vp, what + " (KVM_EXIT_INTERNAL_ERROR" + (d.isEmpty() ? "" : ", data" + d) + ")", insn);
        return false;
    }

    @Override
    public void systemEvent(VirtualProcessor vp, int type) {
        requestExit(
                switch (type) {
                    case KvmConst.KVM_SYSTEM_EVENT_SHUTDOWN -> new PartitionExit.PoweredOff();
                    case KvmConst.KVM_SYSTEM_EVENT_RESET -> new PartitionExit.Reset();
                    default -> new PartitionExit.Crashed(report(vp, "system event " + type, new byte[0]));
                });
    }

    @Override
    public void crash(VirtualProcessor vp, String reason, byte[] instructionBytes) {
        byte[] insn = instructionBytes.length > 0 ? instructionBytes : InstructionFetch.atRip(vp, memory);
        requestExit(new PartitionExit.Crashed(report(vp, reason, insn)));
    }

    private CrashReport report(VirtualProcessor vp, String reason, byte[] insn) {
        Regs regs = vp.regsOrNull();
        Sregs sregs = vp.sregsOrNull();
        return new CrashReport(vp.index(), reason, regs, sregs, insn, recorded());
    }

    /** Every VP's flight recorder now, merged in time order (empty when the partition records nothing). */
    public List<FlightRecorder.Entry> recorded() {
        return vps.stream()
                .filter(v -> v.recorder() != null)
                .flatMap(v -> v.recorder().snapshot().stream())
                .sorted(Comparator.comparingLong(FlightRecorder.Entry::nanos))
                .toList();
    }

    /** The flight recorder of VP {@code index}, for host code that acts on that VP; null when none records. */
    public FlightRecorder recorder(int index) {
        return index >= 0 && index < vps.size() ? vps.get(index).recorder() : null;
    }

    @Override
    public void stopped(VirtualProcessor vp) {
        synchronized (runLock) {
            stoppedVps++;
            runLock.notifyAll();
            if (stoppedVps == vps.size()) {
                exitReason.compareAndSet(null, new PartitionExit.Stopped("all processors stopped"));
                exit.complete(exitReason.get());
            }
        }
    }

    @Override
    public void close() {
        requestExit(new PartitionExit.Stopped("partition closed"));
        for (VirtualProcessor vp : vps) {
            try {
                if (vp.state() != VpState.CREATED) vp.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            vp.vcpu().close();
        }
        vm.close();
        memory.close();
        kvm.close();
    }
}
