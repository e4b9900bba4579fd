package org.viridian.hv.timer;

import static java.lang.System.Logger.Level.TRACE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.HvMessageType;
import org.viridian.hv.synic.InterruptSink;
import org.viridian.hv.synic.Synic;
import org.viridian.hv.synic.TimerMessagePayload;
import org.viridian.partition.vp.FlightRecorder;

/**
 * One VP's synthetic timers STIMER0–3 (TLFS "Synthetic Timers"), driven by the partition reference time. Config:
 * bit 0 enable, 1 periodic, 2 lazy, 3 auto-enable, 4–11 APIC vector (direct mode), 12 direct mode, 16–19 SINT
 * (message mode). Count: the absolute expiration time of a one-shot timer, or the period of a periodic one, in
 * 100 ns units. An expiry is an interrupt on the vector (direct mode) or an HVMSG_TIMER_EXPIRED message on the SINT.
 * The lazy bit is accepted and has no effect (expiries are never coalesced here).
 */
public final class SyntheticTimers {
    private static final System.Logger LOG = System.getLogger(SyntheticTimers.class.getName());

    public static final int FIRST_MSR = 0x400000B0, LAST_MSR = 0x400000B7, TIMERS = 4;
    static final long ENABLE = 1, PERIODIC = 2, LAZY = 4, AUTO_ENABLE = 8, DIRECT = 1L << 12;
    private static final long WRITABLE = 0xF_1FFFL;

    private final int vp;
    /** Whether direct mode is offered (CPUID): where it is not, the direct-mode bit is reserved. */
    private final boolean directOffered;

    private final FlightRecorder recorder;
    private final Synic synic;
    private final InterruptSink interrupts;
    /** Exact reference time from the VP's own TSC: callable only on that VP's thread (MSR writes). */
    private final LongSupplier guestNow;
    /** Per timer, the exact reading when it was armed and the host clock then: its expiries extrapolate from it. */
    private final long[] syncRef = new long[TIMERS], syncNanos = new long[TIMERS];

    private final ScheduledExecutorService scheduler;
    private final long[] config = new long[TIMERS], count = new long[TIMERS];
    private final long[] due = new long[TIMERS];

    @SuppressWarnings("unchecked")
    private final ScheduledFuture<?>[] armed = new ScheduledFuture[TIMERS];

    public SyntheticTimers(
            int vp, Synic synic, InterruptSink interrupts, LongSupplier guestNow, ScheduledExecutorService scheduler) {
        this(vp, synic, interrupts, guestNow, scheduler, null, true);
    }

    /**
     * {@code recorder}: the VP's flight recorder, told of every expiry (null: none); {@code directOffered}: whether
     * the guest was offered direct mode.
     */
    public SyntheticTimers(
            int vp,
            Synic synic,
            InterruptSink interrupts,
            LongSupplier guestNow,
            ScheduledExecutorService scheduler,
            FlightRecorder recorder,
            boolean directOffered) {
        this.recorder = recorder;
        this.directOffered = directOffered;
        this.vp = vp;
        this.synic = synic;
        this.interrupts = interrupts;
        this.guestNow = guestNow;
        this.scheduler = scheduler;
    }

    public static boolean handles(int msr) {
        return msr >= FIRST_MSR && msr <= LAST_MSR;
    }

    public synchronized OptionalLong read(int msr) {
        int t = (msr - FIRST_MSR) / 2;
        return OptionalLong.of((msr - FIRST_MSR) % 2 == 0 ? config[t] : count[t]);
    }

    /**
     * False means #GP: reserved bits (direct mode where it is not offered), or a direct-mode vector below 16. Any write reprograms the timer: an expiry
     * message not yet in the guest's slot is withdrawn (no stale expiration after a timer was disabled or changed).
     */
    public synchronized boolean write(int msr, long value) {
        int t = (msr - FIRST_MSR) / 2;
        withdrawUndelivered(t);
        if ((msr - FIRST_MSR) % 2 == 0) {
            if ((value & ~WRITABLE) != 0 || ((value & DIRECT) != 0 && !directOffered)) return false;
            if ((value & DIRECT) != 0 && (value & ENABLE) != 0 && ((value >>> 4) & 0xFF) < 16) return false;
            config[t] = value;
        } else {
            count[t] = value;
            if (value == 0) config[t] &= ~ENABLE;
            else if ((config[t] & AUTO_ENABLE) != 0) config[t] |= ENABLE;
        }
        rearm(t);
        return true;
    }

    private void rearm(int t) {
        if (armed[t] != null) armed[t].cancel(false);
        armed[t] = null;
        if ((config[t] & ENABLE) == 0 || count[t] == 0) return;
        long now = guestNow.getAsLong();
        syncRef[t] = now;
        syncNanos[t] = System.nanoTime();
        due[t] = (config[t] & PERIODIC) != 0 ? now + count[t] : count[t];
        schedule(t, now);
    }

    private void schedule(int t, long now) {
        long delay100ns = Math.max(0, due[t] - now);
        if (LOG.isLoggable(TRACE)) {
            LOG.log(
                    TRACE,
                    String.format(
                            "hv: vp%d stimer%d armed: now %d due %d (in %d us)", vp, t, now, due[t], delay100ns / 10));
        }
        armed[t] = scheduler.schedule(() -> expire(t), delay100ns * 100, TimeUnit.NANOSECONDS);
    }

    /** Drops timer t's expiry message still queued in the SynIC (message mode). */
    private void withdrawUndelivered(int t) {
        if ((config[t] & DIRECT) == 0) synic.withdraw(sint(t), isExpiryOf(t));
    }

    private int sint(int t) {
        return (int) ((config[t] >>> 16) & 0xF);
    }

    private static Predicate<HvMessage> isExpiryOf(int t) {
        return m -> m.type() == HvMessageType.TIMER_EXPIRED.code()
                && m.payload().length >= 4
                && ByteBuffer.wrap(m.payload()).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == t;
    }

    /**
     * Delivers under the timer's lock, so a write that disables or reprograms the timer cannot be overtaken by an
     * expiry decided before it (the SynIC and the interrupt sink never call back into timers, so the order is safe).
     */
    private synchronized void expire(int t) {
        long expiration;
        int vector = -1, sint = -1;
        {
            if ((config[t] & ENABLE) == 0) return;
            expiration = due[t];
            if ((config[t] & DIRECT) != 0) vector = (int) ((config[t] >>> 4) & 0xFF);
            else sint = (int) ((config[t] >>> 16) & 0xF);
            long now = hostNow(t);
            if ((config[t] & PERIODIC) != 0) {
                // Missed periods are skipped, not delivered in a burst.
                due[t] += Math.max(1, (now - due[t]) / count[t] + 1) * count[t];
                schedule(t, now);
            } else {
                config[t] &= ~ENABLE; // a one-shot timer disables itself when it expires
                armed[t] = null;
            }
        }
        if (recorder != null) recorder.host(FlightRecorder.Event.TIMER_EXPIRED, t, vector >= 0 ? 1 : 0);
        if (LOG.isLoggable(TRACE)) {
            LOG.log(
                    TRACE,
                    String.format(
                            "hv: vp%d stimer%d expired at %d (%s)",
                            vp, t, expiration, vector >= 0 ? "vector " + vector : "SINT " + sint));
        }
        if (vector >= 0) {
            interrupts.raise(vp, vector);
        } else {
            // At most one expiry message per timer waits in the SynIC: a later one replaces it (coalesced).
            synic.postCoalescing(sint, new TimerMessagePayload(t, expiration, hostNow(t)).toMessage(), isExpiryOf(t));
        }
    }

    /** Reference time on a host thread: timer t's exact reading at arming plus the host clock since. */
    private synchronized long hostNow(int t) {
        return syncRef[t] + (System.nanoTime() - syncNanos[t]) / 100;
    }

    /** Cancels every armed timer (partition teardown). */
    public synchronized void stop() {
        for (int t = 0; t < TIMERS; t++) {
            if (armed[t] != null) armed[t].cancel(false);
            armed[t] = null;
        }
    }

    public synchronized long[] state() {
        return new long[] {config[0], count[0], config[1], count[1], config[2], count[2], config[3], count[3]};
    }

    public synchronized void restore(long[] s) {
        for (int t = 0; t < TIMERS; t++) {
            config[t] = s[2 * t];
            count[t] = s[2 * t + 1];
            rearm(t);
        }
    }
}
