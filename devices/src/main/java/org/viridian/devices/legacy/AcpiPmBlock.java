package org.viridian.devices.legacy;

import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.bus.PortIoHandler;

/**
 * The ACPI fixed-hardware PM block the FADT points at: PM1a event (status/enable) at base, PM1a control at base+4 and
 * the 3.579545 MHz PM timer at base+8. Writing SLP_EN with SLP_TYP 0 (our \_S5) powers the VM off. There is no SMI
 * command port, so the platform is always in ACPI mode (SCI_EN reads 1).
 */
public final class AcpiPmBlock implements PortIoHandler {
    public static final int BASE = 0x600, LENGTH = 12;
    public static final int PM1A_EVT = BASE, PM1A_CNT = BASE + 4, PM_TMR = BASE + 8;
    public static final int S5_SLP_TYP = 0;
    static final long TIMER_HZ = 3_579_545;
    private static final int SCI_EN = 1, SLP_EN = 1 << 13, SLP_TYP_SHIFT = 10, SLP_TYP_MASK = 7 << SLP_TYP_SHIFT;
    private static final int STS_WAK = 1 << 15;

    private final Consumer<PartitionExit> exit;
    private final LongSupplier nanoTime;
    private long epochNanos;
    private int status, enable, control = SCI_EN;

    public AcpiPmBlock(Consumer<PartitionExit> exit, LongSupplier nanoTime) {
        this.exit = exit;
        this.nanoTime = nanoTime;
        this.epochNanos = nanoTime.getAsLong();
    }

    /** The registers and the PM timer's count, for save/restore: a restored timer goes on from that count. */
    public record State(int status, int enable, int control, long timerTicks) {}

    public synchronized State state() {
        return new State(status, enable, control, timerTicks());
    }

    public synchronized void restore(State s) {
        status = s.status() & 0xFFFF;
        enable = s.enable() & 0xFFFF;
        control = s.control() & 0xFFFF;
        long ns = s.timerTicks() / TIMER_HZ * 1_000_000_000L + s.timerTicks() % TIMER_HZ * 1_000_000_000L / TIMER_HZ;
        epochNanos = nanoTime.getAsLong() - ns;
    }

    @Override
    public synchronized int read(int port, int size) {
        int off = port - BASE;
        if (off >= 8) return shifted((int) timerTicks(), off - 8, size);
        if (off >= 4) return shifted(control, off - 4, size);
        return shifted((enable << 16) | status, off, size); // PM1a_STS at +0, PM1a_EN at +2
    }

    /** The PM timer: a free-running 3.579545 MHz count; 32 bits wide, so OSes that assume 24 bits still work. */
    long timerTicks() {
        long ns = nanoTime.getAsLong() - epochNanos;
        // Whole seconds and the remainder apart, so the product never overflows however long the VM runs.
        return ns / 1_000_000_000L * TIMER_HZ + ns % 1_000_000_000L * TIMER_HZ / 1_000_000_000L;
    }

    private static int shifted(int v, int byteOffset, int size) {
        long x = Integer.toUnsignedLong(v) >>> (8 * byteOffset);
        return size >= 4 ? (int) x : (int) (x & ((1L << (8 * size)) - 1));
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        int off = port - BASE;
        if (off < 2) {
            status &= ~value; // write-1-to-clear
        } else if (off < 4) {
            enable = value & 0xFFFF;
        } else if (off < 6) {
            int v = value & 0xFFFF;
            control = (v & ~SLP_EN) | SCI_EN;
            if ((v & SLP_EN) != 0) sleep((v & SLP_TYP_MASK) >> SLP_TYP_SHIFT);
        }
    }

    private void sleep(int slpTyp) {
        if (slpTyp == S5_SLP_TYP) {
            exit.accept(new PartitionExit.PoweredOff());
        } else {
            status |= STS_WAK; // other sleep states are not offered in \_Sx; wake at once
        }
    }
}
