package org.viridian.hv.synic;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;
import org.viridian.hv.msr.HvMsr;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.vp.FlightRecorder;

/**
 * One virtual processor's synthetic interrupt controller (TLFS "SynIC"): SCONTROL, SVERSION, the message page (SIMP)
 * and event-flags page (SIEFP) the guest places in its memory, EOM, and SINT0–15. Messages for a SINT wait in a
 * bounded queue while the slot is busy; the slot's MessagePending flag asks the guest to write EOM once it has
 * consumed the slot, and EOM delivers the next one. AutoEOI is emulated by KVM's in-kernel LAPIC: once a guest sets
 * it, every SINT write also goes to {@link AutoEoi}, which the partition passes to KVM's SynIC.
 * Thread-safe: the VP thread (MSR exits) and host threads (posts,
 * events) meet here.
 */
public final class Synic {
    public static final int SINTS = 16, QUEUE_LIMIT = 64, EVENT_FLAGS_PER_SINT = 2048;
    static final long SINT_MASKED = 1L << 16, SINT_AUTO_EOI = 1L << 17, SINT_POLLING = 1L << 18;
    private static final long SINT_WRITABLE = 0xFF | SINT_MASKED | SINT_AUTO_EOI | SINT_POLLING;
    private static final long PAGE_MSR_WRITABLE = 0xFFFF_FFFF_FFFF_F001L;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final int vp;
    private final GuestMemory memory;
    private final InterruptSink interrupts;
    private final FlightRecorder recorder;
    private final AutoEoi autoEoi;
    /** Whether SINT writes go to {@link #autoEoi}: from the first AutoEOI the guest sets (VP thread only). */
    private boolean mirroring;

    private long scontrol, siefp, simp;
    private final long[] sint = new long[SINTS];

    @SuppressWarnings("unchecked")
    private final ArrayDeque<HvMessage>[] queues = new ArrayDeque[SINTS];

    public Synic(int vp, GuestMemory memory, InterruptSink interrupts) {
        this(vp, memory, interrupts, null, null);
    }

    /**
     * {@code recorder}: the VP's flight recorder, told of every message and event delivered (null: none);
     * {@code autoEoi}: what emulates AutoEOI (null: nothing does, the bit is only stored).
     */
    public Synic(int vp, GuestMemory memory, InterruptSink interrupts, FlightRecorder recorder, AutoEoi autoEoi) {
        this.vp = vp;
        this.memory = memory;
        this.interrupts = interrupts;
        this.recorder = recorder;
        this.autoEoi = autoEoi;
        reset();
    }

    /** Architectural reset state: everything disabled, every SINT masked, nothing queued. */
    public synchronized void reset() {
        scontrol = siefp = simp = 0;
        for (int i = 0; i < SINTS; i++) {
            sint[i] = SINT_MASKED;
            queues[i] = new ArrayDeque<>();
        }
    }

    public synchronized OptionalLong readMsr(int msr) {
        return switch (msr) {
            case HvMsr.SCONTROL -> OptionalLong.of(scontrol);
            case HvMsr.SVERSION -> OptionalLong.of(1);
            case HvMsr.SIEFP -> OptionalLong.of(siefp);
            case HvMsr.SIMP -> OptionalLong.of(simp);
            case HvMsr.EOM -> OptionalLong.of(0);
            default ->
                msr >= HvMsr.SINT0 && msr <= HvMsr.SINT15
                        ? OptionalLong.of(sint[msr - HvMsr.SINT0])
                        : OptionalLong.empty();
        };
    }

    /** Applies a guest write; false means #GP (reserved bits, read-only register, a page outside the partition). */
    public boolean writeMsr(int msr, long value) {
        synchronized (this) {
            switch (msr) {
                case HvMsr.SCONTROL -> {
                    if ((value & ~1L) != 0) return false;
                    scontrol = value;
                }
                case HvMsr.SIEFP, HvMsr.SIMP -> {
                    if ((value & ~PAGE_MSR_WRITABLE) != 0) return false;
                    if ((value & 1) != 0 && !memory.contains(value & ~0xFFFL, GuestMemory.PAGE_SIZE)) return false;
                    if (msr == HvMsr.SIMP) simp = value;
                    else siefp = value;
                }
                case HvMsr.EOM -> {
                    /* any value: the guest has consumed a slot */
                }
                case HvMsr.SVERSION -> {
                    return false;
                }
                default -> {
                    if (msr < HvMsr.SINT0 || msr > HvMsr.SINT15) return false;
                    if ((value & ~SINT_WRITABLE) != 0) return false;
                    // Vectors 0-15 are reserved for exceptions; an unmasked SINT may not use them.
                    if ((value & SINT_MASKED) == 0 && (value & 0xFF) < 16) return false;
                    sint[msr - HvMsr.SINT0] = value;
                }
            }
        }
        if (msr >= HvMsr.SINT0 && msr <= HvMsr.SINT15) mirror(msr - HvMsr.SINT0, value);
        // Enabling or unmasking something, or an EOM, may let queued messages through.
        for (int i = 0; i < SINTS; i++) deliver(i);
        return true;
    }

    /** Passes a SINT to {@link #autoEoi} once the guest uses AutoEOI (outside the lock: it may enter the kernel). */
    private void mirror(int index, long value) {
        if (autoEoi == null || !(mirroring || (value & SINT_AUTO_EOI) != 0)) return;
        mirroring = autoEoi.sintChanged(index, value & (0xFF | SINT_MASKED | SINT_AUTO_EOI));
    }

    /** Queues a message for a SINT and delivers it if its slot is free. False: the queue is full (flow control). */
    public boolean post(int sintIndex, HvMessage m) {
        checkSint(sintIndex);
        synchronized (this) {
            if (queues[sintIndex].size() >= QUEUE_LIMIT) return false;
            queues[sintIndex].add(m);
        }
        deliver(sintIndex);
        return true;
    }

    /**
     * Queues a message that takes the place of an undelivered one {@code same} matches, so one source (a synthetic
     * timer) has at most one message waiting: a later expiry replaces the waiting one (TLFS: expirations while the
     * slot is busy are coalesced). False: the queue is full.
     */
    public boolean postCoalescing(int sintIndex, HvMessage m, Predicate<HvMessage> same) {
        checkSint(sintIndex);
        synchronized (this) {
            ArrayDeque<HvMessage> q = queues[sintIndex];
            if (q.stream().anyMatch(same)) {
                ArrayDeque<HvMessage> next = new ArrayDeque<>(q.size());
                for (HvMessage queued : q) next.add(same.test(queued) ? m : queued);
                queues[sintIndex] = next;
            } else {
                if (q.size() >= QUEUE_LIMIT) return false;
                q.add(m);
            }
        }
        // Also when the message only replaced a waiting one: the slot may have been freed by a guest that never saw
        // MessagePending (and so wrote no EOM); every expiry is then another chance to deliver.
        deliver(sintIndex);
        return true;
    }

    /** Drops the undelivered messages {@code which} matches (their source was disabled or reprogrammed). */
    public synchronized void withdraw(int sintIndex, Predicate<HvMessage> which) {
        checkSint(sintIndex);
        queues[sintIndex].removeIf(which);
    }

    /**
     * Sets event flag {@code flag} of a SINT in the event-flags page; interrupts only when the flag was clear. False
     * when the guest has no event page or has not enabled the SynIC (the event is not recorded, as on Hyper-V).
     */
    public boolean signalEvent(int sintIndex, int flag) {
        checkSint(sintIndex);
        if (flag < 0 || flag >= EVENT_FLAGS_PER_SINT)
            throw new IllegalArgumentException("event flag " + flag + " is outside 0..2047");
        int vector;
        synchronized (this) {
            if (!enabled() || (siefp & 1) == 0) return false;
            MemorySegment flags = memory.slice((siefp & ~0xFFFL) + sintIndex * 256L, 256);
            long bit = 1L << (flag & 63);
            long before = (long) LONG.getAndBitwiseOr(flags, (flag >>> 6) * 8L, bit);
            if ((before & bit) != 0) return true;
            if (recorder != null) recorder.host(FlightRecorder.Event.SYNIC_EVENT, sintIndex, flag);
            vector = interruptVector(sintIndex);
        }
        if (vector >= 0) interrupts.raise(vp, vector);
        return true;
    }

    /**
     * Raises a SINT's interrupt with neither message nor event flag, as a host-side interrupt route to that SINT does
     * (KVM's HV_SINT irq routes; the test device's "set SINT"). False when the SynIC is disabled or the SINT masked or
     * polled: nothing is raised then.
     */
    public boolean assertSint(int sintIndex) {
        checkSint(sintIndex);
        int vector;
        synchronized (this) {
            vector = enabled() ? interruptVector(sintIndex) : -1;
        }
        if (vector < 0) return false;
        interrupts.raise(vp, vector);
        return true;
    }

    /** Moves the head of a SINT's queue into its slot if the slot is free; otherwise marks the slot pending. */
    private void deliver(int s) {
        int vector;
        synchronized (this) {
            if (queues[s].isEmpty() || !enabled() || (simp & 1) == 0) return;
            MemorySegment slot = memory.slice((simp & ~0xFFFL) + s * (long) HvMessage.SIZE, HvMessage.SIZE);
            if (slot.get(ValueLayout.JAVA_INT_UNALIGNED, 0) != HvMessage.TYPE_NONE) {
                byte flags = slot.get(ValueLayout.JAVA_BYTE, HvMessage.FLAGS);
                slot.set(ValueLayout.JAVA_BYTE, HvMessage.FLAGS, (byte) (flags | HvMessage.PENDING));
                // The guest runs meanwhile on its own VP: it may have freed the slot and read MessagePending before
                // we set it, and so will write no EOM. Look again after the flag is visible: a slot still busy then
                // belongs to a guest that will see the flag; a free one is ours to fill now (KVM does this on the VP
                // itself, where the race cannot happen).
                VarHandle.fullFence();
                if (slot.get(ValueLayout.JAVA_INT_UNALIGNED, 0) != HvMessage.TYPE_NONE) return;
            }
            HvMessage m = queues[s].poll();
            m.writeTo(slot);
            if (recorder != null)
                recorder.host(FlightRecorder.Event.SYNIC_MESSAGE, s, Integer.toUnsignedLong(m.type()));
            if (!queues[s].isEmpty()) slot.set(ValueLayout.JAVA_BYTE, HvMessage.FLAGS, (byte) HvMessage.PENDING);
            vector = interruptVector(s);
        }
        if (vector >= 0) interrupts.raise(vp, vector);
    }

    /** The vector to raise for a SINT, or -1 when it is masked or polled. */
    private int interruptVector(int s) {
        long v = sint[s];
        return (v & (SINT_MASKED | SINT_POLLING)) != 0 ? -1 : (int) (v & 0xFF);
    }

    private boolean enabled() {
        return (scontrol & 1) != 0;
    }

    public synchronized int queued(int sintIndex) {
        return queues[sintIndex].size();
    }

    private static void checkSint(int s) {
        if (s < 0 || s >= SINTS) throw new IllegalArgumentException("SINT " + s + " is outside 0..15");
    }

    /** Registers and undelivered messages, for save/restore (the pages themselves live in guest memory). */
    public synchronized SynicState state() {
        List<List<HvMessage>> q = new ArrayList<>();
        for (ArrayDeque<HvMessage> d : queues) q.add(List.copyOf(d));
        return new SynicState(scontrol, siefp, simp, sint.clone(), q);
    }

    public void restore(SynicState s) {
        synchronized (this) {
            scontrol = s.scontrol();
            siefp = s.siefp();
            simp = s.simp();
            System.arraycopy(s.sint(), 0, sint, 0, SINTS);
            for (int i = 0; i < SINTS; i++)
                queues[i] = new ArrayDeque<>(s.queued().get(i));
        }
        for (int i = 0; i < SINTS; i++) mirror(i, s.sint()[i]);
        for (int i = 0; i < SINTS; i++) deliver(i);
    }

    public record SynicState(long scontrol, long siefp, long simp, long[] sint, List<List<HvMessage>> queued) {
        public SynicState {
            if (sint.length != SINTS || queued.size() != SINTS) throw new IllegalArgumentException("16 SINTs expected");
            sint = sint.clone();
            queued = List.copyOf(queued);
        }
    }
}
