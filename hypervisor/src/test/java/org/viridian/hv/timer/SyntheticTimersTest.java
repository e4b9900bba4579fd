package org.viridian.hv.timer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;

/** Synthetic timers on a real scheduler and clock: direct and message mode, one-shot and periodic. */
class SyntheticTimersTest {
    private static final int CONFIG0 = SyntheticTimers.FIRST_MSR,
            COUNT0 = CONFIG0 + 1,
            CONFIG1 = CONFIG0 + 2,
            COUNT1 = CONFIG0 + 3;
    private static final long SIMP = 0x4000;
    private final LongSupplier now = () -> System.nanoTime() / 100;
    private final List<Integer> vectors = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService scheduler;
    private GuestMemory memory;
    private Synic synic;
    private SyntheticTimers timers;

    @BeforeEach
    void setUp() {
        scheduler = Executors.newSingleThreadScheduledExecutor();
        memory = GuestMemory.allocate(1 << 20);
        synic = new Synic(0, memory, (vp, v) -> vectors.add(v));
        timers = new SyntheticTimers(0, synic, (vp, v) -> vectors.add(v), now, scheduler);
    }

    @AfterEach
    void tearDown() {
        timers.stop();
        scheduler.shutdownNow();
        memory.close();
    }

    private static void await(java.util.function.BooleanSupplier c) throws InterruptedException {
        for (int i = 0; i < 400 && !c.getAsBoolean(); i++) Thread.sleep(5);
    }

    @Test
    void directModeOneShotFiresOnceAndDisablesItself() throws Exception {
        assertThat(timers.write(CONFIG0, SyntheticTimers.DIRECT | (0x51 << 4) | SyntheticTimers.AUTO_ENABLE))
                .isTrue();
        assertThat(timers.write(COUNT0, now.getAsLong() + 20_000)).isTrue(); // 2 ms from now, absolute
        await(() -> !vectors.isEmpty());
        Thread.sleep(20);
        assertThat(vectors).containsExactly(0x51);
        assertThat(timers.read(CONFIG0).getAsLong() & SyntheticTimers.ENABLE).isZero();
    }

    @Test
    void periodicMessageModeDeliversTimerExpiredMessages() throws Exception {
        synic.writeMsr(HvMsr.SIMP, SIMP | 1);
        synic.writeMsr(HvMsr.SINT0 + 3, 0x52);
        synic.writeMsr(HvMsr.SCONTROL, 1);
        timers.write(COUNT1, 10_000); // 1 ms period
        timers.write(CONFIG1, SyntheticTimers.ENABLE | SyntheticTimers.PERIODIC | (3L << 16));
        long slot = SIMP + 3 * 256;
        await(() -> memory.readInt(slot) != 0);
        assertThat(memory.readInt(slot)).isEqualTo(org.viridian.hv.synic.HvMessageType.TIMER_EXPIRED.code());
        assertThat(memory.readInt(slot + 16)).as("timer index").isEqualTo(1);
        long expiration = memory.readLong(slot + 24), delivery = memory.readLong(slot + 32);
        assertThat(delivery).isGreaterThanOrEqualTo(expiration);
        // The guest consumes and EOMs; the next period brings another message.
        memory.writeInt(slot, 0);
        synic.writeMsr(HvMsr.EOM, 0);
        await(() -> memory.readInt(slot) != 0);
        assertThat(memory.readLong(slot + 24)).isGreaterThan(expiration);
        timers.write(COUNT1, 0);
        assertThat(timers.read(CONFIG1).getAsLong() & SyntheticTimers.ENABLE)
                .as("count 0 disables")
                .isZero();
    }

    @Test
    void reservedBitsAndLowDirectVectorsAreRefused() {
        assertThat(timers.write(CONFIG0, 1L << 13)).isFalse();
        assertThat(timers.write(CONFIG0, SyntheticTimers.ENABLE | SyntheticTimers.DIRECT | (5 << 4)))
                .isFalse();
        assertThat(SyntheticTimers.handles(SyntheticTimers.LAST_MSR + 1)).isFalse();
    }

    @Test
    void directModeIsReservedWhereItIsNotOffered() {
        var messageOnly = new SyntheticTimers(0, synic, (vp, v) -> vectors.add(v), now, scheduler, null, false);
        assertThat(messageOnly.write(CONFIG0, SyntheticTimers.DIRECT | (0x51 << 4)))
                .isFalse();
        assertThat(messageOnly.write(CONFIG0, SyntheticTimers.ENABLE | (3L << 16)))
                .isTrue();
        messageOnly.stop();
    }

    /** SINT 3 with the guest's message page, and timer 1 periodic with a 1 ms period in message mode on it. */
    private long periodicTimer1OnSint3() {
        synic.writeMsr(HvMsr.SIMP, SIMP | 1);
        synic.writeMsr(HvMsr.SINT0 + 3, 0x52);
        synic.writeMsr(HvMsr.SCONTROL, 1);
        timers.write(COUNT1, 10_000);
        timers.write(CONFIG1, SyntheticTimers.ENABLE | SyntheticTimers.PERIODIC | (3L << 16));
        return SIMP + 3 * 256;
    }

    @Test
    void whileTheSlotIsBusyExpiriesCoalesceIntoOneWaitingMessage() throws Exception {
        long slot = periodicTimer1OnSint3();
        await(() -> memory.readInt(slot) != 0);
        // The guest leaves the slot full for ~20 periods: at most one further expiry may wait, not twenty.
        await(() -> synic.queued(3) > 0);
        Thread.sleep(20);
        assertThat(synic.queued(3)).isEqualTo(1);
        long first = memory.readLong(slot + 24);
        memory.writeInt(slot, 0);
        synic.writeMsr(HvMsr.EOM, 0);
        await(() -> memory.readInt(slot) != 0);
        // The waiting message is the latest expiry, not the first one missed.
        assertThat(memory.readLong(slot + 24) - first).isGreaterThan(10_000L);
    }

    @Test
    void disablingATimerWithdrawsItsUndeliveredExpiryAndNothingStaleFollows() throws Exception {
        long slot = periodicTimer1OnSint3();
        await(() -> memory.readInt(slot) != 0);
        await(() -> synic.queued(3) == 1); // an expiry waits behind the busy slot
        assertThat(synic.queued(3)).isEqualTo(1);
        timers.write(CONFIG1, 0); // disabled
        assertThat(synic.queued(3)).isZero();
        memory.writeInt(slot, 0);
        synic.writeMsr(HvMsr.EOM, 0);
        Thread.sleep(20);
        assertThat(memory.readInt(slot))
                .as("no expiry after the timer was disabled")
                .isZero();
    }
}
