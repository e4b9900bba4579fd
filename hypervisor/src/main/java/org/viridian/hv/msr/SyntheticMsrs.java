package org.viridian.hv.msr;

import static java.lang.System.Logger.Level.TRACE;

import java.util.OptionalLong;
import java.util.function.IntFunction;
import org.viridian.hv.HvFeatures;
import org.viridian.hv.hypercall.HypercallPage;
import org.viridian.hv.synic.Synic;
import org.viridian.hv.time.ReferenceTime;
import org.viridian.hv.timer.SyntheticTimers;
import org.viridian.partition.bus.MsrHandler;
import org.viridian.partition.memory.GuestMemory;

/**
 * The partition and VP synthetic MSRs. Partition-wide: guest OS identity, hypercall page, reference TSC page, crash
 * parameters. Per VP: VP index and the SynIC registers. Anything not offered — or offered but written with reserved
 * bits — gets #GP, as on Hyper-V.
 */
public final class SyntheticMsrs implements MsrHandler {
    private static final System.Logger LOG = System.getLogger(SyntheticMsrs.class.getName());

    private static final long PAGE_MSR = 0xFFFF_FFFF_FFFF_F001L;
    /** KVM's in-kernel LAPIC timer counts at its 1 GHz bus clock. */
    public static final long APIC_HZ = 1_000_000_000L;

    /** What the MSRs need from the partition. */
    public interface Host {
        /** The guest TSC of a VP, read on that VP's own thread. */
        long guestTsc(int vp);

        void reset();

        void guestCrashed(long[] parameters);

        /**
         * The instruction that reaches KVM's own handler of the SMP hypercalls (VMCALL or VMMCALL), or null where KVM
         * does not take them (then every hypercall comes to user space).
         */
        default byte[] kernelHypercall() {
            return null;
        }

        /**
         * Whether the VP is in long mode now (asked only where {@link #kernelHypercall} is not null or
         * {@link #fastSignals} is true).
         */
        default boolean longMode(int vp) {
            return true;
        }

        /** Whether a 64-bit hypercall page sends fast HvSignalEvent calls to the doorbell port (SignalDoorbells). */
        default boolean fastSignals() {
            return false;
        }

        /** The guest OS id changed: KVM answers its hypercalls only for a guest that has identified itself. */
        default void guestOsIdChanged(int vp, long value) {}
    }

    private final HvFeatures features;
    private final GuestMemory memory;
    private final ReferenceTime time;
    private final IntFunction<Synic> synics;
    private IntFunction<SyntheticTimers> timers = vp -> null;
    private final Host host;
    private long guestOsId, hypercall, referenceTsc;
    private final long[] crash = new long[5];
    /** Per VP. Linux registers one unconditionally; its contents matter only for features not offered here. */
    private final java.util.Map<Integer, Long> vpAssist = new java.util.HashMap<>();

    public SyntheticMsrs(
            HvFeatures features, GuestMemory memory, ReferenceTime time, IntFunction<Synic> synics, Host host) {
        this.features = features;
        this.memory = memory;
        this.time = time;
        this.synics = synics;
        this.host = host;
    }

    @Override
    public OptionalLong read(int vp, int msr) {
        OptionalLong v = readMsr(vp, msr);
        // At TRACE (VIRIDIAN_HV_TRACE=1), every synthetic MSR access: what a guest driver really does.
        if (LOG.isLoggable(TRACE)) {
            LOG.log(
                    TRACE,
                    String.format(
                            "hv: vp%d rdmsr %#x -> %s",
                            vp, msr, v.isPresent() ? Long.toHexString(v.getAsLong()) : "#GP"));
        }
        return v;
    }

    @Override
    public boolean write(int vp, int msr, long value) {
        boolean ok = writeMsr(vp, msr, value);
        if (LOG.isLoggable(TRACE))
            LOG.log(TRACE, String.format("hv: vp%d wrmsr %#x <- %#x%s", vp, msr, value, ok ? "" : " #GP"));
        return ok;
    }

    /** Per-VP synthetic timers, when offered. */
    public void setTimers(IntFunction<SyntheticTimers> timers) {
        this.timers = timers;
    }

    private synchronized OptionalLong readMsr(int vp, int msr) {
        if (SyntheticTimers.handles(msr))
            return features.timers() ? timers.apply(vp).read(msr) : OptionalLong.empty();
        if (isSynic(msr)) return features.synic() ? synics.apply(vp).readMsr(msr) : OptionalLong.empty();
        if (msr >= HvMsr.CRASH_P0 && msr <= HvMsr.CRASH_P4)
            return features.crashMsrs() ? OptionalLong.of(crash[msr - HvMsr.CRASH_P0]) : OptionalLong.empty();
        return switch (msr) {
            case HvMsr.GUEST_OS_ID -> OptionalLong.of(guestOsId);
            case HvMsr.HYPERCALL -> OptionalLong.of(hypercall);
            case HvMsr.VP_INDEX -> OptionalLong.of(vp);
            case HvMsr.RESET -> OptionalLong.of(0);
            case HvMsr.VP_ASSIST_PAGE -> OptionalLong.of(vpAssist.getOrDefault(vp, 0L));
            case HvMsr.TIME_REF_COUNT -> OptionalLong.of(time.sample(host.guestTsc(vp)));
            case HvMsr.REFERENCE_TSC -> features.referenceTsc() ? OptionalLong.of(referenceTsc) : OptionalLong.empty();
            case HvMsr.TSC_FREQUENCY -> features.frequencyMsrs() ? OptionalLong.of(time.tscHz()) : OptionalLong.empty();
            case HvMsr.APIC_FREQUENCY -> features.frequencyMsrs() ? OptionalLong.of(APIC_HZ) : OptionalLong.empty();
            // Bit 62: CrashNotify (P0-P4 hold the parameters) is what this partition can report.
            case HvMsr.CRASH_CTL -> features.crashMsrs() ? OptionalLong.of(1L << 63) : OptionalLong.empty();
            default -> OptionalLong.empty();
        };
    }

    private boolean writeMsr(int vp, int msr, long value) {
        if (SyntheticTimers.handles(msr))
            return features.timers() && timers.apply(vp).write(msr, value);
        if (isSynic(msr)) return features.synic() && synics.apply(vp).writeMsr(msr, value);
        synchronized (this) {
            if (msr >= HvMsr.CRASH_P0 && msr <= HvMsr.CRASH_P4) {
                if (!features.crashMsrs()) return false;
                crash[msr - HvMsr.CRASH_P0] = value;
                return true;
            }
            switch (msr) {
                case HvMsr.GUEST_OS_ID -> {
                    guestOsId = value;
                    if (host.kernelHypercall() != null) host.guestOsIdChanged(vp, value);
                    // Clearing the identity disables the hypercall page (TLFS).
                    if (value == 0) hypercall &= ~1L;
                    return true;
                }
                case HvMsr.HYPERCALL -> {
                    return writeHypercall(vp, value);
                }
                case HvMsr.VP_ASSIST_PAGE -> {
                    if ((value & ~PAGE_MSR) != 0) return false;
                    if ((value & 1) != 0 && !memory.contains(value & ~0xFFFL, GuestMemory.PAGE_SIZE)) return false;
                    vpAssist.put(vp, value);
                    return true;
                }
                case HvMsr.RESET -> {
                    if ((value & 1) != 0) host.reset();
                    return true;
                }
                case HvMsr.REFERENCE_TSC -> {
                    if (!features.referenceTsc() || (value & ~PAGE_MSR) != 0) return false;
                    long gpa = value & ~0xFFFL;
                    if ((value & 1) != 0) {
                        if (!memory.contains(gpa, GuestMemory.PAGE_SIZE)) return false;
                        time.publish(memory, gpa);
                    }
                    referenceTsc = value;
                    return true;
                }
                case HvMsr.CRASH_CTL -> {
                    if (!features.crashMsrs()) return false;
                    if ((value & (1L << 63)) != 0) host.guestCrashed(crash.clone());
                    return true;
                }
                default -> {
                    return false; // VP_INDEX, TIME_REF_COUNT and the frequencies are read-only
                }
            }
        }
    }

    /** Bit 0 enables, bit 1 locks (no further change), bits 12-63 place the page. */
    private boolean writeHypercall(int vp, long value) {
        if ((hypercall & 2) != 0) return true; // locked: writes are ignored
        if ((value & 0xFFCL) != 0) return false;
        long gpa = value & ~0xFFFL;
        if ((value & 1) != 0) {
            if (guestOsId == 0) return true; // ignored until the guest identifies itself
            if (!memory.contains(gpa, GuestMemory.PAGE_SIZE)) return false;
            byte[] kernel = host.kernelHypercall();
            boolean fast = host.fastSignals();
            boolean longMode = (kernel != null || fast) && host.longMode(vp);
            memory.write(gpa, HypercallPage.code(longMode, kernel, fast));
        }
        hypercall = value;
        return true;
    }

    /** The hypercall page's guest-physical address, or -1 while the guest has not enabled it. */
    public synchronized long hypercallPage() {
        return (hypercall & 1) != 0 ? hypercall & ~0xFFFL : -1;
    }

    private static boolean isSynic(int msr) {
        return msr >= HvMsr.SCONTROL && msr <= HvMsr.SINT15;
    }

    /** Partition-wide MSR state for save/restore (SynIC state is per VP, see Synic). */
    public record State(
            long guestOsId, long hypercall, long referenceTsc, long[] crash, java.util.Map<Integer, Long> vpAssist) {
        public State {
            crash = crash.clone();
            vpAssist = java.util.Map.copyOf(vpAssist);
        }
    }

    public synchronized State state() {
        return new State(guestOsId, hypercall, referenceTsc, crash, vpAssist);
    }

    /** Restores a saved state; the reference TSC page is published again (the target's TSC rate may differ). */
    public synchronized void restore(State s) {
        guestOsId = s.guestOsId();
        if (host.kernelHypercall() != null) host.guestOsIdChanged(0, guestOsId);
        hypercall = s.hypercall();
        referenceTsc = s.referenceTsc();
        System.arraycopy(s.crash(), 0, crash, 0, crash.length);
        vpAssist.clear();
        vpAssist.putAll(s.vpAssist());
        if ((referenceTsc & 1) != 0) time.publish(memory, referenceTsc & ~0xFFFL);
    }

    public synchronized long guestOsId() {
        return guestOsId;
    }

    public synchronized boolean hypercallPageEnabled() {
        return (hypercall & 1) != 0;
    }
}
