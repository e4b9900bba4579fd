package org.viridian.hv;

import static java.lang.System.Logger.Level.WARNING;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.IntToLongFunction;
import org.viridian.hv.cpuid.HvCpuid;
import org.viridian.hv.hypercall.FastSignalFallback;
import org.viridian.hv.hypercall.HvStatus;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.HypercallPage;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.hypercall.SignalDoorbells;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.msr.SyntheticMsrs;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.InterruptSink;
import org.viridian.hv.synic.Synic;
import org.viridian.hv.time.ReferenceTime;
import org.viridian.hv.timer.SyntheticTimers;
import org.viridian.partition.CpuidPolicy;
import org.viridian.partition.Partition;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.vp.FlightRecorder;

/**
 * The hypervisor interface of one partition: synthetic CPUID (installed when the partition is created, see
 * {@link #cpuid}), synthetic MSRs, the hypercall page and dispatcher, reference time and a SynIC per VP. The host
 * side (VMBus) posts messages and signals events to the guest here, and registers handlers for what the guest posts
 * and signals, by connection id.
 */
public final class Hypervisor implements SynicHost {
    private static final System.Logger LOG = System.getLogger(Hypervisor.class.getName());

    public static final int CALL_NOTIFY_LONG_SPIN_WAIT = 0x0008;

    private final Partition partition;
    private final HvFeatures features;
    /** VMCALL or VMMCALL where KVM answers the SMP hypercalls, else null (see HypercallPage). */
    private final byte[] kernelHypercall;

    private static final long EFER_LMA = 1L << 10;
    private final List<Synic> synics = new ArrayList<>();
    private final List<SyntheticTimers> timers = new ArrayList<>();
    private final ScheduledExecutorService timerThread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("hv-timers").factory());
    private final SyntheticMsrs msrs;
    private final HypercallDispatcher hypercalls;
    private final MessageCalls messageCalls = new MessageCalls();
    private final ReferenceTime time;
    /** Fast HvSignalEvent answered in KVM (null: every signal exits to user space). */
    private final SignalDoorbells doorbells;

    private volatile long[] lastCrash;

    /** {@code sink}, with each interrupt written to the target VP's flight recorder first. */
    private InterruptSink recorded(InterruptSink sink, int source) {
        return (target, vector) -> {
            FlightRecorder r = partition.recorder(target);
            if (r != null) r.host(FlightRecorder.Event.INTERRUPT_SENT, vector, source);
            sink.raise(target, vector);
        };
    }

    /** The CPUID policy to create the partition with. */
    public static CpuidPolicy cpuid(HvFeatures features) {
        return HvCpuid.policy(features);
    }

    private Hypervisor(Partition partition, HvFeatures features) {
        this.partition = partition;
        this.features = features;
        this.kernelHypercall = features.smpHypercalls() ? partition.kernelHypercallInstruction() : null;
        // Fixed delivery, physical destination: the VP index is its APIC id (see CpuidPolicy.topology).
        InterruptSink msi = (target, vector) -> partition.signalMsi(0xFEE00000L | ((long) target << 12), vector);
        InterruptSink synicMsi = recorded(msi, FlightRecorder.Source.SYNIC);
        // -Dviridian.hv.timerInterrupts=vp-thread: the timers' interrupts raised by the target VP's own thread
        // between two KVM_RUNs (issue 15's experiment), not by the timer thread while the VP runs.
        boolean onVpThread = "vp-thread".equals(System.getProperty("viridian.hv.timerInterrupts"));
        for (int i = 0; i < partition.vps().size(); i++) {
            int vp = i;
            partition.vps().get(vp).interruptRaiser(vector -> msi.raise(vp, vector));
        }
        InterruptSink timerMsi = recorded(
                onVpThread ? (target, vector) -> partition.vps().get(target).raiseOnOwnThread(vector) : msi,
                FlightRecorder.Source.TIMER);
        // IA32_TSC as the guest sees it; read on that VP's own thread.
        IntToLongFunction guestTsc = vp -> partition.vps().get(vp).guestTsc();
        ReferenceTime time =
                this.time = new ReferenceTime(partition.vps().getFirst().tscKhz() * 1000, 0);
        for (int i = 0; i < partition.vps().size(); i++) {
            int vp = i;
            synics.add(new Synic(vp, partition.memory(), synicMsi, partition.recorder(vp), (sint, value) -> partition
                    .vps()
                    .get(vp)
                    .setInKernelSint(sint, value)));
            timers.add(new SyntheticTimers(
                    vp,
                    synics.get(vp),
                    timerMsi,
                    () -> time.sample(guestTsc.applyAsLong(vp)),
                    timerThread,
                    partition.recorder(vp),
                    features.directTimers()));
        }
        this.doorbells = features.synic() && features.doorbells() ? new SignalDoorbells(partition) : null;
        partition.exit().whenComplete((e, t) -> {
            timers.forEach(SyntheticTimers::stop);
            timerThread.shutdownNow();
            if (doorbells != null) doorbells.close();
        });
        this.msrs = new SyntheticMsrs(features, partition.memory(), time, synics::get, new SyntheticMsrs.Host() {
            @Override
            public long guestTsc(int vp) {
                return guestTsc.applyAsLong(vp);
            }

            @Override
            public byte[] kernelHypercall() {
                return kernelHypercall;
            }

            @Override
            public boolean fastSignals() {
                return doorbells != null;
            }

            @Override
            public boolean longMode(int vp) {
                return (partition.vps().get(vp).segmentRegisters().efer() & EFER_LMA) != 0;
            }

            @Override
            public void guestOsIdChanged(int vp, long value) {
                partition.vps().get(vp).setKernelHvMsr(HvMsr.GUEST_OS_ID, value);
            }

            @Override
            public void reset() {
                partition.requestExit(new PartitionExit.Reset());
            }

            @Override
            public void guestCrashed(long[] p) {
                lastCrash = p;
                LOG.log(
                        WARNING,
                        String.format(
                                "guest reported a crash through the Hyper-V crash MSRs: "
                                        + "P0=%#x P1=%#x P2=%#x P3=%#x P4=%#x",
                                p[0], p[1], p[2], p[3], p[4]));
            }
        });
        msrs.setTimers(timers::get);
        this.hypercalls = new HypercallDispatcher(partition.memory(), features.userHypercalls());
    }

    /** Installs the interface in a partition created with {@link #cpuid}; call before the partition starts. */
    public static Hypervisor attach(Partition partition, HvFeatures features) {
        Hypervisor hv = new Hypervisor(partition, features);
        partition.msrs().register(HvMsr.RANGE_FIRST, HvMsr.RANGE_COUNT, hv.msrs);
        partition.registerVpTrap(HypercallPage.PORT, hv.hypercalls);
        partition.registerVpTrap(SignalDoorbells.PORT, new FastSignalFallback(hv.hypercalls, hv.msrs::hypercallPage));
        hv.hypercalls.register(CALL_NOTIFY_LONG_SPIN_WAIT, in -> {
            Thread.yield();
            return HvStatus.SUCCESS;
        });
        if (features.synic()) {
            hv.messageCalls.registerWith(hv.hypercalls);
            if (hv.doorbells != null) hv.messageCalls.useDoorbells(hv.doorbells);
        }
        if (features.smpHypercalls()) {
            // KVM answers the SMP hypercalls from its own per-VP Hyper-V context, made by the first Hyper-V MSR the
            // host writes there: the VP index (= the vCPU index, as KVM assumes and CPUID's APIC ids say).
            for (var vp : partition.vps()) vp.setKernelHvMsr(HvMsr.VP_INDEX, vp.index());
        }
        return hv;
    }

    public HvFeatures features() {
        return features;
    }

    @Override
    public int vpCount() {
        return synics.size();
    }

    public Synic synic(int vp) {
        return synics.get(vp);
    }

    /** The partition reference time (100 ns units) now, readable from any thread (see {@link ReferenceTime#now}). */
    public long referenceTime() {
        return time.now();
    }

    public SyntheticMsrs msrs() {
        return msrs;
    }

    /** The parameters of the last crash the guest reported through the crash MSRs, or null. */
    public long[] lastGuestCrash() {
        long[] c = lastCrash;
        return c == null ? null : Arrays.copyOf(c, c.length);
    }

    /** Everything the interface holds, versioned, for save/restore and migration. */
    public record State(int version, SyntheticMsrs.State msrs, List<Synic.SynicState> synics, List<long[]> timers) {
        public static final int VERSION = 1;

        public State {
            synics = List.copyOf(synics);
            timers = timers.stream().map(long[]::clone).toList();
        }
    }

    public State state() {
        return new State(
                State.VERSION,
                msrs.state(),
                synics.stream().map(Synic::state).toList(),
                timers.stream().map(SyntheticTimers::state).toList());
    }

    public void restore(State s) {
        if (s.version() != State.VERSION)
            throw new IllegalArgumentException("hypervisor state version " + s.version() + " is not " + State.VERSION);
        if (s.synics().size() != synics.size()) {
            throw new IllegalArgumentException(
                    "state has " + s.synics().size() + " VPs, this partition " + synics.size());
        }
        msrs.restore(s.msrs());
        for (int i = 0; i < synics.size(); i++) {
            synics.get(i).restore(s.synics().get(i));
            timers.get(i).restore(s.timers().get(i));
        }
    }

    /** Host to guest: a message on (VP, SINT). False when that SINT's queue is full. */
    @Override
    public boolean postMessage(int vp, int sint, HvMessage message) {
        return synics.get(vp).post(sint, message);
    }

    /** Host to guest: an event flag on (VP, SINT). */
    @Override
    public boolean signalEvent(int vp, int sint, int flag) {
        return synics.get(vp).signalEvent(sint, flag);
    }

    /** Hypercalls that reached user space so far, by call code ({@link HypercallDispatcher#counts}). */
    public java.util.Map<String, Long> hypercallCounts() {
        return hypercalls.counts();
    }

    /** Guest to host: HvPostMessage and HvSignalEvent by connection id. */
    @Override
    public MessageCalls messageCalls() {
        return messageCalls;
    }
}
