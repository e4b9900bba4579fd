package org.viridian.partition.vp;

import org.viridian.kvm.KvmConst;
import org.viridian.kvm.KvmRun;
import org.viridian.kvm.KvmVcpu;
import org.viridian.kvm.Regs;
import org.viridian.kvm.Sregs;
import org.viridian.kvm.sys.Errno;
import org.viridian.kvm.sys.Libc;

import java.lang.foreign.MemorySegment;
import java.util.OptionalLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * One virtual processor: a platform thread that runs KVM_RUN and dispatches each exit. Kicks use a real-time signal
 * that the thread keeps blocked, unblocked by KVM_SET_SIGNAL_MASK only inside KVM_RUN: a kick arriving in the guest
 * forces an EINTR exit, one arriving while we handle an exit stays pending and makes the next KVM_RUN return at once,
 * so no kick is lost and no Java code ever runs in a signal handler.
 */
public final class VirtualProcessor {
    /** SIGRTMIN+6: the JVM leaves SIGRTMIN..61 alone (NIO uses 62). */
    public static final int KICK_SIGNAL = 40;

    private final int index;
    private final KvmVcpu vcpu;
    private final VpHost host;
    private final Thread thread;
    private final Object kickLock = new Object();
    private volatile int tid;
    private volatile VpState state = VpState.CREATED;
    private long exits;

    public VirtualProcessor(int index, KvmVcpu vcpu, VpHost host) {
        this.index = index;
        this.vcpu = vcpu;
        this.host = host;
        this.thread = Thread.ofPlatform().name("vp-" + index).daemon(true).unstarted(this::loop);
    }

    public int index() {
        return index;
    }

    public KvmVcpu vcpu() {
        return vcpu;
    }

    public VpState state() {
        return state;
    }

    /** Exits handled so far (benchmarks read it after the VP stopped). */
    public long exits() {
        return exits;
    }

    public void start() {
        thread.start();
    }

    public void join() throws InterruptedException {
        thread.join();
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
        if (tid != 0) while (Libc.consumePendingSignal(KICK_SIGNAL)) { }
    }

    private void loop() {
        try {
            tid = Libc.gettid();
            long mask = Libc.blockSignal(KICK_SIGNAL);
            vcpu.setSignalMask(mask & ~(1L << (KICK_SIGNAL - 1)));
            state = VpState.RUNNING;
            while (true) {
                if (!host.awaitRunnable(this)) break;
                int rc = vcpu.run();
                if (rc == -Errno.EINTR || rc == -Errno.EAGAIN) {
                    Libc.consumePendingSignal(KICK_SIGNAL);
                    continue;
                }
                if (rc < 0) {
                    host.crash(this, "KVM_RUN failed: " + Errno.name(-rc) + " (" + -rc + ")", new byte[0]);
                    break;
                }
                exits++;
                if (!dispatch(vcpu.runState())) break;
            }
        } catch (RuntimeException | Error e) {
            host.crash(this, "VMM fault on this VP's thread: " + e, new byte[0]);
        } finally {
            retire();
            host.stopped(this);
        }
    }

    /** Set by the partition as it parks or releases this VP. */
    public void setStateForHost(VpState s) {
        state = s;
    }

    /** Handles one exit; false ends this VP's loop (the partition is ending). */
    private boolean dispatch(KvmRun run) {
        int reason = run.exitReason();
        switch (reason) {
            case KvmConst.KVM_EXIT_IO -> handleIo(run);
            case KvmConst.KVM_EXIT_MMIO -> handleMmio(run);
            case KvmConst.KVM_EXIT_X86_RDMSR -> {
                OptionalLong v = host.msrRead(index, run.msrIndex());
                run.setMsrError(v.isEmpty());
                run.setMsrData(v.orElse(0));
            }
            case KvmConst.KVM_EXIT_X86_WRMSR -> run.setMsrError(!host.msrWrite(index, run.msrIndex(), run.msrData()));
            case KvmConst.KVM_EXIT_HLT, KvmConst.KVM_EXIT_INTR, KvmConst.KVM_EXIT_IRQ_WINDOW_OPEN -> { }
            case KvmConst.KVM_EXIT_SHUTDOWN -> {
                host.crash(this, "triple fault (KVM_EXIT_SHUTDOWN)", new byte[0]);
                return false;
            }
            case KvmConst.KVM_EXIT_FAIL_ENTRY -> {
                host.crash(this, String.format("VM entry failed: hardware reason 0x%x", run.failEntryReason()), new byte[0]);
                return false;
            }
            case KvmConst.KVM_EXIT_INTERNAL_ERROR -> {
                return host.internalError(this, run.internalSuberror(), run.internalData(), run.emulationInstructionBytes());
            }
            case KvmConst.KVM_EXIT_SYSTEM_EVENT -> {
                host.systemEvent(this, run.systemEventType());
                return false;
            }
            default -> {
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
                host.portWrite(this, port, size, (int) load(data, off, size));
            } else {
                store(data, off, size, Integer.toUnsignedLong(host.portRead(this, port, size)));
            }
        }
    }

    private void handleMmio(KvmRun run) {
        int len = run.mmioLength();
        if (len <= 0 || len > 8) return;
        MemorySegment data = run.mmioData();
        if (run.mmioIsWrite()) {
            host.mmioWrite(this, run.mmioAddress(), len, load(data, 0, len));
        } else {
            store(data, 0, len, host.mmioRead(this, run.mmioAddress(), len));
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
