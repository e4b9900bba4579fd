package org.viridian.partition.vp;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.viridian.kvm.KvmConst;
import org.viridian.kvm.KvmRun;
import org.viridian.kvm.KvmVcpu;
import org.viridian.kvm.sys.Errno;
import org.viridian.kvm.sys.Libc;
import org.viridian.partition.state.VpSnapshot;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * One virtual processor: a platform thread that runs KVM_RUN and dispatches each exit. Kicks use a real-time signal
 * that the thread keeps blocked, unblocked by KVM_SET_SIGNAL_MASK only inside KVM_RUN: a kick arriving in the guest
 * forces an EINTR exit, one arriving while we handle an exit stays pending and makes the next KVM_RUN return at once,
 * so no kick is lost and no Java code ever runs in a signal handler.
 */
public final class VirtualProcessor {
    /** SIGRTMIN+6: the JVM leaves SIGRTMIN..61 alone (NIO uses 62). */
    public static final int KICK_SIGNAL = 40;

    private static final System.Logger LOG = System.getLogger(VirtualProcessor.class.getName());
    private static final int IA32_TSC = 0x10;
    /** HV_X64_MSR_SINT0, as KVM's in-kernel SynIC takes it (host-initiated writes only: guests' go to user space). */
    private static final int HV_SINT0 = 0x40000090;

    private final int index;
    private final KvmVcpu vcpu;
    private final VpHost host;
    private final Thread thread;
    private final FlightRecorder recorder;
    private final int syncedRegisters;
    private final Object kickLock = new Object();
    private volatile int tid;
    /** Vectors posted for this VP's own thread to raise before its next KVM_RUN, a bit each. */
    private final java.util.concurrent.atomic.AtomicLongArray postedVectors =
            new java.util.concurrent.atomic.AtomicLongArray(4);
    /** What raises a posted vector (KVM_SIGNAL_MSI to this VP), set once by the partition's owner. */
    private volatile java.util.function.IntConsumer raiser;
    /** Whether any vector is posted: the one read the run loop pays per exit when nothing is. */
    private volatile boolean posted;
    /** KVM's in-kernel SynIC: 0 not yet activated, 1 active, -1 KVM refused it. Touched on this VP's thread only. */
    private int kvmSynic;

    private volatile VpState state = VpState.CREATED;
    private long exits;
    private final ExitReasons exitReasons = new ExitReasons();
    /** The thread's CPU time when last read: what is reported once the thread has ended (the JVM then says -1). */
    private volatile long lastCpuNanos;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** RIP of the exit being handled (NO_RIP when KVM does not copy it out). */
    private long exitRip = FlightRecorder.NO_RIP;
    /**
     * Host time of the exits being recorded: read afresh at exits where the guest waited (HLT, a kick) and every
     * {@link #CLOCK_EVERY} exits, reused in between. A clock read per exit costs ~5 % of an exit round trip where the
     * host's clock source is not the TSC (HPET under emulation); per VP, entries stay exactly ordered by their seq.
     */
    private long exitNanos = System.nanoTime();

    static final int CLOCK_EVERY = 64;

    public VirtualProcessor(int index, KvmVcpu vcpu, VpHost host) {
        this(index, vcpu, host, null, 0);
    }

    /**
     * {@code recorder}: where this VP's exits are recorded (null: nowhere); {@code syncedRegisters}: the KVM_SYNC_X86_*
     * sets KVM copies out at every exit (RIP, CPL for the recorder; 0 when KVM cannot).
     */
    public VirtualProcessor(int index, KvmVcpu vcpu, VpHost host, FlightRecorder recorder, int syncedRegisters) {
        this.index = index;
        this.vcpu = vcpu;
        this.host = host;
        this.recorder = recorder;
        this.syncedRegisters = syncedRegisters;
        this.thread = Thread.ofPlatform().name("vp-" + index).daemon(true).unstarted(this::loop);
    }

    public int index() {
        return index;
    }

    /** The KVM vCPU behind this VP: for the partition layer only; layers above use the methods below. */
    public KvmVcpu vcpu() {
        return vcpu;
    }

    /** The VP's general registers; on its own thread (or while it is stopped). */
    public Regs registers() {
        return vcpu.regs();
    }

    public void setRegisters(Regs r) {
        vcpu.setRegs(r);
    }

    /** The VP's segment, descriptor-table and control registers; on its own thread (or while it is stopped). */
    public Sregs segmentRegisters() {
        return vcpu.sregs();
    }

    public void setSegmentRegisters(Sregs s) {
        vcpu.setSregs(s);
    }

    /** Makes the VP take exception {@code vector} (no error code) when it next enters the guest; on its own thread. */
    public void injectException(int vector) {
        vcpu.injectException(vector, null);
    }

    /**
     * Tells KVM's in-kernel SynIC a SINT's vector, mask and AutoEOI bit, so KVM's LAPIC takes AutoEOI interrupts
     * without setting their ISR bit (the TLFS AutoEOI), activating that SynIC on first use (KVM then keeps APICv off
     * while AutoEOI is in use, which is why it is not activated before a guest asks). Only the SINT registers go to
     * KVM; the guest's own SynIC MSR accesses still exit to user space. On this VP's thread or while it is stopped.
     * False: this KVM has no in-kernel SynIC.
     */
    public boolean setInKernelSint(int sint, long value) {
        if (kvmSynic == 0) {
            try {
                vcpu.enableCap(KvmConst.KVM_CAP_HYPERV_SYNIC2);
                kvmSynic = 1;
            } catch (RuntimeException e) {
                kvmSynic = -1;
            }
        }
        if (kvmSynic < 0) return false;
        setKernelHvMsr(HV_SINT0 + sint, value);
        return true;
    }

    /**
     * Writes a Hyper-V MSR into KVM's own Hyper-V context of this VP, as the host (the guest's accesses come to user
     * space): the guest OS id that KVM's in-kernel hypercalls require, or the VP index, whose first write creates that
     * context. On this VP's thread or while it is stopped.
     */
    public void setKernelHvMsr(int msr, long value) {
        vcpu.setMsrs(new int[] {msr}, new long[] {value});
    }

    /** IA32_TSC as the guest sees it; on this VP's own thread. */
    public long guestTsc() {
        return vcpu.getMsrs(IA32_TSC)[0];
    }

    /** The guest TSC's frequency in kHz. */
    public long tscKhz() {
        return vcpu.tscKhz();
    }

    /** This VP's flight recorder, or null when the partition records nothing. */
    public FlightRecorder recorder() {
        return recorder;
    }

    /** Records a host action taken on this VP's thread while handling its current exit (e.g. a hypercall's status). */
    public void recordAtExit(FlightRecorder.Event e, long a, long b, int extra) {
        recordAtExit(e, -1, a, b, extra);
    }

    /** The same, where the exit or the handler knows the CPL ({@code cpl} -1: unknown). */
    public void recordAtExit(FlightRecorder.Event e, int cpl, long a, long b, int extra) {
        if (recorder != null) recorder.record(e, exitNanos, exitRip, cpl, a, b, extra);
    }

    public VpState state() {
        return state;
    }

    /** Exits handled so far (benchmarks read it after the VP stopped). */
    public long exits() {
        return exits;
    }

    /**
     * This VP's CPU time and its exits to user space by reason, from any thread; the counts are read racily, each
     * whole, so a VP that runs on may be an exit ahead by the time this returns.
     */
    public VpMetrics metrics() {
        return new VpMetrics(index, cpuNanos(), exitReasons.snapshot());
    }

    /** CPU time of the VP's thread (user and system: the guest's own time is counted as the thread's user time). */
    private long cpuNanos() {
        long n = state == VpState.CREATED ? 0 : THREADS.getThreadCpuTime(thread.threadId());
        if (n > lastCpuNanos) lastCpuNanos = n;
        return lastCpuNanos;
    }

    public void start() {
        thread.start();
    }

    public void join() throws InterruptedException {
        thread.join();
    }

    /** How vectors {@link #raiseOnOwnThread posted} for this VP are raised. */
    public void interruptRaiser(java.util.function.IntConsumer r) {
        raiser = r;
    }

    /**
     * Raises {@code vector} from this VP's own thread, between two KVM_RUNs, instead of from the caller's: posted,
     * then the VP is kicked out of KVM_RUN (issue 15's experiment: host threads' interrupts racing the VP's exits).
     */
    public void raiseOnOwnThread(int vector) {
        postedVectors.getAndAccumulate(vector >>> 6, 1L << (vector & 63), (w, bit) -> w | bit);
        posted = true;
        kick();
    }

    private void raisePosted() {
        if (!posted) return;
        posted = false;
        for (int i = 0; i < 4; i++) {
            if (postedVectors.get(i) == 0) continue;
            long w = postedVectors.getAndSet(i, 0);
            while (w != 0) {
                raiser.accept(i * 64 + Long.numberOfTrailingZeros(w));
                w &= w - 1;
            }
        }
    }

    /** Makes the VP leave KVM_RUN soon; safe from any thread, at any time. */
    public void kick() {
        synchronized (kickLock) {
            int t = tid;
            if (t != 0 && state != VpState.STOPPED) Libc.tgkill(t, KICK_SIGNAL);
        }
    }

    /**
     * Ends kicking before the thread ends: a kick still pending when a JVM thread exits is delivered with the signal's
     * default action (process termination), so every kick sent before STOPPED is drained while still blocked.
     */
    private void retire() {
        synchronized (kickLock) {
            state = VpState.STOPPED;
        }
        if (tid != 0) while (Libc.consumePendingSignal(KICK_SIGNAL)) {}
    }

    /** Set on every VP's own thread: code shared with host threads must not block a VP on I/O. */
    private static final ThreadLocal<Boolean> VP_THREAD = ThreadLocal.withInitial(() -> false);

    /** Whether the calling thread runs a virtual processor (its exits' handlers run there). */
    public static boolean onVpThread() {
        return VP_THREAD.get();
    }

    private void loop() {
        VP_THREAD.set(true);
        try {
            tid = Libc.gettid();
            long mask = Libc.blockSignal(KICK_SIGNAL);
            vcpu.setSignalMask(mask & ~(1L << (KICK_SIGNAL - 1)));
            if (syncedRegisters != 0) vcpu.runState().setSyncedRegisters(syncedRegisters);
            state = VpState.RUNNING;
            while (true) {
                if (host.pauseRequested() && !settle()) break;
                if (!host.awaitRunnable(this)) break;
                raisePosted();
                int rc = vcpu.run();
                if (rc == -Errno.EINTR || rc == -Errno.EAGAIN) {
                    exitReasons.count(KvmConst.KVM_EXIT_INTR); // KVM says KVM_EXIT_INTR for these too
                    Libc.consumePendingSignal(KICK_SIGNAL);
                    continue;
                }
                KvmRun run = vcpu.runState();
                if ((syncedRegisters & KvmConst.KVM_SYNC_X86_REGS) != 0) exitRip = run.syncedRip();
                if (recorder != null && rc >= 0) {
                    int reason = run.exitReason();
                    if ((exits & (CLOCK_EVERY - 1)) == 0
                            || reason == KvmConst.KVM_EXIT_HLT
                            || reason == KvmConst.KVM_EXIT_INTR) {
                        exitNanos = System.nanoTime();
                    }
                }
                if (rc < 0) {
                    host.crash(this, "KVM_RUN failed: " + Errno.name(-rc) + " (" + -rc + ")", new byte[0]);
                    break;
                }
                exits++;
                if (!dispatch(run)) break;
            }
        } catch (RuntimeException | Error e) {
            host.crash(this, "VMM fault on this VP's thread: " + e, new byte[0]);
        } finally {
            retire();
            host.stopped(this);
        }
    }

    /**
     * Lets KVM finish the exit user space last answered (an IN's or MMIO read's data, a RDMSR's value) without entering
     * the guest, so that the registers a snapshot reads are the guest's whole truth: KVM completes such an exit only at
     * the next KVM_RUN, which {@code immediate_exit} makes return at once. An exit that needs more of user space (the
     * next step of a string I/O) is handled first. False when handling one ended this VP.
     */
    private boolean settle() {
        KvmRun run = vcpu.runState();
        run.setImmediateExit(true);
        try {
            for (int i = 0; i < 64; i++) {
                int rc = vcpu.run();
                if (rc < 0) {
                    Libc.consumePendingSignal(KICK_SIGNAL);
                    return true;
                }
                exits++;
                if (!dispatch(run)) return false;
            }
            return true;
        } finally {
            run.setImmediateExit(false);
        }
    }

    /** The names of the KVM state structs a snapshot holds, in the order they are put back. */
    private static final List<KvmVcpu.Blob> SNAPSHOT_BLOBS = List.of(
            KvmVcpu.Blob.XCRS,
            KvmVcpu.Blob.XSAVE,
            KvmVcpu.Blob.MP_STATE,
            KvmVcpu.Blob.LAPIC,
            KvmVcpu.Blob.VCPU_EVENTS,
            KvmVcpu.Blob.DEBUGREGS);

    /** Hyper-V's MSR range: the hypervisor interface saves and restores these itself. */
    private static boolean synthetic(int msr) {
        return (msr & 0xFFFF0000) == 0x40000000;
    }

    /**
     * Everything KVM holds for this VP; only while it is parked (paused, or not started). {@code msrIndex}: the MSRs
     * KVM lists for save/restore; those it will not read for this VP are left out.
     */
    public VpSnapshot snapshot(int[] msrIndex) {
        if (state == VpState.RUNNING) throw new IllegalStateException("VP " + index + " is running");
        Map<String, byte[]> blobs = new LinkedHashMap<>();
        for (KvmVcpu.Blob b : SNAPSHOT_BLOBS) blobs.put(b.name(), vcpu.getBlob(b));
        int[] wanted = IntStream.concat(
                        IntStream.of(IA32_TSC), IntStream.of(msrIndex).filter(m -> m != IA32_TSC && !synthetic(m)))
                .toArray();
        int[] got = new int[wanted.length];
        long[] values = new long[wanted.length];
        int n = 0;
        for (int from = 0; from < wanted.length; ) {
            int[] rest = java.util.Arrays.copyOfRange(wanted, from, wanted.length);
            long[] out = new long[rest.length];
            int read = vcpu.readMsrs(rest, out);
            System.arraycopy(rest, 0, got, n, read);
            System.arraycopy(out, 0, values, n, read);
            n += read;
            from += read + 1; // the one KVM stopped at is not readable here: skip it
        }
        return new VpSnapshot(
                index,
                vcpu.regs(),
                vcpu.sregs(),
                blobs,
                java.util.Arrays.copyOf(got, n),
                java.util.Arrays.copyOf(values, n));
    }

    /** Puts a snapshot back into this VP before it starts, in the order KVM needs (control state before LAPIC). */
    public void restore(VpSnapshot s) {
        if (state != VpState.CREATED && state != VpState.PAUSED)
            throw new IllegalStateException("VP " + index + " is " + state);
        if (s.index() != index)
            throw new IllegalArgumentException("snapshot of VP " + s.index() + " given to VP " + index);
        vcpu.setSregs(s.sregs());
        vcpu.setRegs(s.regs());
        int[] msrs = s.msrs();
        long[] values = s.msrValues();
        for (int from = 0; from < msrs.length; ) {
            int n = vcpu.writeMsrs(
                    java.util.Arrays.copyOfRange(msrs, from, msrs.length),
                    java.util.Arrays.copyOfRange(values, from, values.length));
            if (from + n < msrs.length) {
                // One this KVM refuses from the host (a read-only or model-specific one): the guest keeps KVM's value.
                LOG.log(
                        System.Logger.Level.WARNING,
                        String.format("VP %d: MSR 0x%x not restored (KVM refused it)", index, msrs[from + n]));
            }
            from += n + 1;
        }
        for (KvmVcpu.Blob b : SNAPSHOT_BLOBS) {
            byte[] data = s.blobs().get(b.name());
            if (data == null) throw new IllegalArgumentException("snapshot of VP " + index + " lacks " + b);
            // No XCRs (a host CPU without XSAVE: KVM reports none and refuses any KVM_SET_XCRS): nothing to put back.
            if (b == KvmVcpu.Blob.XCRS
                    && java.nio.ByteBuffer.wrap(data)
                                    .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                                    .getInt(0)
                            == 0) continue;
            vcpu.setBlob(b, data);
        }
    }

    /** Set by the partition as it parks or releases this VP. */
    public void setStateForHost(VpState s) {
        state = s;
    }

    /** Handles one exit; false ends this VP's loop (the partition is ending). */
    private boolean dispatch(KvmRun run) {
        int reason = run.exitReason();
        exitReasons.count(reason);
        switch (reason) {
            case KvmConst.KVM_EXIT_IO -> handleIo(run);
            case KvmConst.KVM_EXIT_MMIO -> handleMmio(run);
            case KvmConst.KVM_EXIT_X86_RDMSR -> {
                int msr = run.msrIndex();
                OptionalLong v = host.msrRead(index, msr);
                run.setMsrError(v.isEmpty());
                run.setMsrData(v.orElse(0));
                recordAtExit(
                        FlightRecorder.Event.RDMSR, 0, Integer.toUnsignedLong(msr), v.orElse(0), v.isEmpty() ? 1 : 0);
            }
            case KvmConst.KVM_EXIT_X86_WRMSR -> {
                int msr = run.msrIndex();
                boolean ok = host.msrWrite(index, msr, run.msrData());
                run.setMsrError(!ok);
                recordAtExit(FlightRecorder.Event.WRMSR, 0, Integer.toUnsignedLong(msr), run.msrData(), ok ? 0 : 1);
            }
            // RDMSR, WRMSR and HLT are privileged: they exit only from CPL0.
            case KvmConst.KVM_EXIT_HLT -> recordAtExit(FlightRecorder.Event.HLT, 0, 0, 0, 0);
            case KvmConst.KVM_EXIT_INTR -> recordAtExit(FlightRecorder.Event.INTERRUPTED, 0, 0, 0);
            case KvmConst.KVM_EXIT_IRQ_WINDOW_OPEN -> recordAtExit(FlightRecorder.Event.IRQ_WINDOW, 0, 0, 0);
            case KvmConst.KVM_EXIT_SHUTDOWN -> {
                recordAtExit(FlightRecorder.Event.SHUTDOWN, 0, 0, 0);
                host.crash(this, "triple fault (KVM_EXIT_SHUTDOWN)", new byte[0]);
                return false;
            }
            case KvmConst.KVM_EXIT_FAIL_ENTRY -> {
                recordAtExit(FlightRecorder.Event.FAIL_ENTRY, run.failEntryReason(), 0, 0);
                host.crash(
                        this,
                        String.format("VM entry failed: hardware reason 0x%x", run.failEntryReason()),
                        new byte[0]);
                return false;
            }
            case KvmConst.KVM_EXIT_INTERNAL_ERROR -> {
                recordAtExit(FlightRecorder.Event.INTERNAL_ERROR, run.internalSuberror(), 0, 0);
                return host.internalError(
                        this, run.internalSuberror(), run.internalData(), run.emulationInstructionBytes());
            }
            case KvmConst.KVM_EXIT_SYSTEM_EVENT -> {
                recordAtExit(FlightRecorder.Event.SYSTEM_EVENT, run.systemEventType(), 0, 0);
                host.systemEvent(this, run.systemEventType());
                return false;
            }
            default -> {
                recordAtExit(FlightRecorder.Event.OTHER_EXIT, reason, 0, 0);
                host.crash(this, "unexpected KVM exit reason " + reason, new byte[0]);
                return false;
            }
        }
        return true;
    }

    private void handleIo(KvmRun run) {
        int port = run.ioPort();
        int size = run.ioSize();
        MemorySegment data = run.ioData();
        boolean out = run.ioIsOut();
        // String I/O (rep outs/ins) comes as count items in one exit.
        for (long off = 0; off < data.byteSize(); off += size) {
            if (out) {
                long v = load(data, off, size);
                recordAtExit(FlightRecorder.Event.IO_OUT, port, v, size);
                host.portWrite(this, port, size, (int) v);
            } else {
                long v = Integer.toUnsignedLong(host.portRead(this, port, size));
                store(data, off, size, v);
                recordAtExit(FlightRecorder.Event.IO_IN, port, v, size);
            }
        }
    }

    private void handleMmio(KvmRun run) {
        int len = run.mmioLength();
        if (len <= 0 || len > 8) return;
        MemorySegment data = run.mmioData();
        long gpa = run.mmioAddress();
        if (run.mmioIsWrite()) {
            long v = load(data, 0, len);
            recordAtExit(FlightRecorder.Event.MMIO_WRITE, gpa, v, len);
            host.mmioWrite(this, gpa, len, v);
        } else {
            long v = host.mmioRead(this, gpa, len);
            store(data, 0, len, v);
            recordAtExit(FlightRecorder.Event.MMIO_READ, gpa, v, len);
        }
    }

    static long load(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(s.get(JAVA_BYTE, off));
            case 2 -> Short.toUnsignedLong(s.get(JAVA_SHORT_UNALIGNED, off));
            case 4 -> Integer.toUnsignedLong(s.get(JAVA_INT_UNALIGNED, off));
            case 8 -> s.get(JAVA_LONG_UNALIGNED, off);
            default -> {
                long v = 0;
                for (int i = size - 1; i >= 0; i--) v = (v << 8) | Byte.toUnsignedLong(s.get(JAVA_BYTE, off + i));
                yield v;
            }
        };
    }

    static void store(MemorySegment s, long off, int size, long v) {
        for (int i = 0; i < size; i++) s.set(JAVA_BYTE, off + i, (byte) (v >>> (8 * i)));
    }

    /** Registers for a crash report, read on this VP's own thread; null parts when KVM cannot give them. */
    public Regs regsOrNull() {
        try {
            return vcpu.regs();
        } catch (RuntimeException e) {
            return null;
        }
    }

    public Sregs sregsOrNull() {
        try {
            return vcpu.sregs();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
