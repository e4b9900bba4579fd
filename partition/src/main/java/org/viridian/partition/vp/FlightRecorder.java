package org.viridian.partition.vp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A virtual processor's flight recorder: the last {@link #capacity()} exits and host actions (MSR accesses and their
 * results, port and MMIO accesses, hypercalls and their status, injected exceptions and interrupts, SynIC deliveries)
 * in a preallocated ring of longs, so recording allocates nothing and costs a few stores (RIP comes from KVM's copy
 * of the registers at the exit; the VP reads the clock only now and then, see VirtualProcessor). Where KVM leaves a
 * VP's
 * state undefined (a triple fault resets it), the recorder is what tells how the guest got there.
 *
 * <p>The VP thread records its exits; host threads (timers, devices) record what they deliver to this VP, so a slot
 * is claimed with one atomic increment. Each slot is a small seqlock: its header is written last (release) and a
 * reader drops a slot whose header changed while it read, so {@link #snapshot()} is safe from any thread.
 */
public final class FlightRecorder {
    public static final int DEFAULT_CAPACITY = 512;
    private static final int LONGS = 5; // header, nanos, rip, a, b
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** Header of a slot being written: readers skip it. */
    private static final long WRITING = -1;

    /** What an entry records; {@code a} and {@code b} mean what the event's {@link #describe} says. */
    public enum Event {
        IO_IN,
        IO_OUT,
        MMIO_READ,
        MMIO_WRITE,
        RDMSR,
        WRMSR,
        HLT,
        INTERRUPTED,
        IRQ_WINDOW,
        SHUTDOWN,
        FAIL_ENTRY,
        INTERNAL_ERROR,
        SYSTEM_EVENT,
        OTHER_EXIT,
        EXCEPTION_INJECTED,
        INTERRUPT_SENT,
        HYPERCALL,
        SYNIC_MESSAGE,
        SYNIC_EVENT,
        TIMER_EXPIRED;

        private static final Event[] ALL = values();

        String describe(long a, long b, int extra) {
            return switch (this) {
                case IO_IN -> String.format("in  port 0x%x size %d -> 0x%x", a, extra, b);
                case IO_OUT -> String.format("out port 0x%x size %d <- 0x%x", a, extra, b);
                case MMIO_READ -> String.format("mmio read  0x%x size %d -> 0x%x", a, extra, b);
                case MMIO_WRITE -> String.format("mmio write 0x%x size %d <- 0x%x", a, extra, b);
                case RDMSR -> String.format("rdmsr 0x%x -> %s", a, extra != 0 ? "#GP" : String.format("0x%x", b));
                case WRMSR -> String.format("wrmsr 0x%x <- 0x%x%s", a, b, extra != 0 ? " -> #GP" : "");
                case HLT -> "hlt";
                case INTERRUPTED -> "interrupted (kick or signal)";
                case IRQ_WINDOW -> "interrupt window open";
                case SHUTDOWN -> "shutdown (triple fault)";
                case FAIL_ENTRY -> String.format("VM entry failed, hardware reason 0x%x", a);
                case INTERNAL_ERROR -> String.format("KVM internal error, suberror %d", a);
                case SYSTEM_EVENT -> String.format("system event %d", a);
                case OTHER_EXIT -> String.format("exit reason %d", a);
                case EXCEPTION_INJECTED ->
                    String.format(
                            "injected exception vector %d%s", a, extra != 0 ? String.format(" error 0x%x", b) : "");
                case INTERRUPT_SENT -> String.format("interrupt vector 0x%x sent (%s)", a, Source.name((int) b));
                case HYPERCALL -> String.format("hypercall 0x%04x (control 0x%x) -> status 0x%x", a & 0xFFFF, a, b);
                case SYNIC_MESSAGE -> String.format("SynIC message type 0x%x posted to SINT %d", b, a);
                case SYNIC_EVENT -> String.format("SynIC event flag %d set for SINT %d", b, a);
                case TIMER_EXPIRED ->
                    String.format("synthetic timer %d expired (%s)", a, b != 0 ? "direct" : "message");
            };
        }
    }

    /** Who sent an interrupt ({@link Event#INTERRUPT_SENT}'s b). */
    public static final class Source {
        public static final int SYNIC = 1, TIMER = 2, OTHER = 0;

        private Source() {}

        static String name(int s) {
            return switch (s) {
                case SYNIC -> "SynIC";
                case TIMER -> "synthetic timer";
                default -> "host";
            };
        }
    }

    /**
     * One recorded entry; {@code rip} is -1 for host actions (taken outside the VP's exit), {@code cpl} -1 where the
     * exit does not imply it (KVM copies out RIP at every exit; the CPL would cost a copy of all segment registers).
     */
    public record Entry(int vp, long seq, long nanos, Event event, long rip, int cpl, long a, long b, int extra) {
        public String render() {
            String where = rip < 0 ? " ".repeat(22) : String.format("rip=%016x ", rip);
            if (cpl >= 0) where += "cpl" + cpl + " ";
            return String.format("%10.6f vp%d #%-7d %s%s", nanos / 1e9, vp, seq, where, event.describe(a, b, extra));
        }
    }

    private final int vp;
    private final long[] slots;
    private final int capacity;
    private final AtomicLong next = new AtomicLong();
    private final long origin;

    /**
     * {@code origin}: the System.nanoTime() all VPs of a partition count from, so their entries sort together (on one
     * VP, {@code seq} orders exactly).
     */
    public FlightRecorder(int vp, int capacity, long origin) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be positive: " + capacity);
        this.vp = vp;
        this.capacity = capacity;
        this.slots = new long[capacity * LONGS];
        this.origin = origin;
    }

    public int capacity() {
        return capacity;
    }

    /** Entries recorded so far (more than the ring holds once it wrapped). */
    public long recorded() {
        return next.get();
    }

    /**
     * An exit (or an action taken while handling one) at {@code rip}, CPL {@code cpl} (-1: unknown), at host time
     * {@code nanos} (System.nanoTime(), possibly a recent reading rather than a fresh one).
     */
    public void record(Event e, long nanos, long rip, int cpl, long a, long b, int extra) {
        long seq = next.getAndIncrement();
        int base = (int) (seq % capacity) * LONGS;
        SLOT.setVolatile(slots, base, WRITING);
        slots[base + 1] = nanos - origin;
        slots[base + 2] = rip;
        slots[base + 3] = a;
        slots[base + 4] = b;
        long cplBits = cpl < 0 ? 0xF : cpl & 3;
        SLOT.setRelease(slots, base, (seq << 24) | ((long) e.ordinal() << 16) | (cplBits << 8) | (extra & 0xFF));
    }

    /** A host action aimed at this VP from any thread (an interrupt sent, a SynIC message posted, a timer). */
    public void host(Event e, long a, long b) {
        record(e, System.nanoTime(), -1, -1, a, b, 0);
    }

    /** The entries still in the ring, oldest first; entries being written at that moment are left out. */
    public List<Entry> snapshot() {
        long end = next.get();
        List<Entry> out = new ArrayList<>(capacity);
        for (long seq = Math.max(0, end - capacity); seq < end; seq++) {
            int base = (int) (seq % capacity) * LONGS;
            long h = (long) SLOT.getAcquire(slots, base);
            long nanos = slots[base + 1], rip = slots[base + 2], a = slots[base + 3], b = slots[base + 4];
            VarHandle.acquireFence();
            if (h == WRITING || (long) SLOT.getVolatile(slots, base) != h || (h >>> 24) != seq) continue;
            int cpl = (int) (h >>> 8) & 0xF;
            out.add(new Entry(
                    vp,
                    seq,
                    nanos,
                    Event.ALL[(int) (h >>> 16) & 0xFF],
                    rip,
                    cpl == 0xF ? -1 : cpl,
                    a,
                    b,
                    (int) h & 0xFF));
        }
        return out;
    }
}
