package org.viridian.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.viridian.partition.PartitionExit;

class LegacyDevicesTest {
    private final List<PartitionExit> exits = new ArrayList<>();

    @Test
    void uartTransmitsToTheSinkAndReportsAnEmptyTransmitter() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Uart16550 uart = new Uart16550(Uart16550.COM1, out, IrqLine.NONE);
        assertThat(uart.read(0x3FD, 1) & 0x60).isEqualTo(0x60);
        for (byte b : "hi\n".getBytes()) uart.write(0x3F8, 1, b);
        assertThat(out.toString()).isEqualTo("hi\n");
    }

    @Test
    void uartDivisorLatchDoesNotTransmit() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Uart16550 uart = new Uart16550(Uart16550.COM1, out, IrqLine.NONE);
        uart.write(0x3FB, 1, 0x80); // DLAB
        uart.write(0x3F8, 1, 0x01); // divisor low = 115200 baud
        uart.write(0x3F9, 1, 0x00);
        assertThat(uart.read(0x3F8, 1)).isEqualTo(1);
        uart.write(0x3FB, 1, 0x03); // 8N1
        assertThat(out.size()).isZero();
    }

    @Test
    void uartReceiveRaisesTheInterruptWhenEnabledAndGatedByOut2() {
        AtomicBoolean line = new AtomicBoolean();
        Uart16550 uart = new Uart16550(Uart16550.COM1, new ByteArrayOutputStream(), line::set);
        uart.write(0x3F9, 1, 0x01); // IER: received data available
        uart.receive("x".getBytes());
        assertThat(line).isFalse(); // OUT2 still off
        uart.write(0x3FC, 1, 0x08); // MCR.OUT2
        assertThat(line).isTrue();
        assertThat(uart.read(0x3FA, 1) & 0x0F).isEqualTo(0x04);
        assertThat(uart.read(0x3FD, 1) & 1).isEqualTo(1);
        assertThat(uart.read(0x3F8, 1)).isEqualTo('x');
        assertThat(line).isFalse();
        assertThat(uart.read(0x3FD, 1) & 1).isZero();
    }

    @Test
    void uartLoopbackEchoesIntoTheReceiver() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Uart16550 uart = new Uart16550(Uart16550.COM1, out, IrqLine.NONE);
        uart.write(0x3FC, 1, 0x10);
        uart.write(0x3F8, 1, 0xAE);
        assertThat(uart.read(0x3F8, 1)).isEqualTo(0xAE);
        assertThat(out.size()).isZero();
    }

    @Test
    void debugExitEncodesTheStatusAsQemuDoes() {
        new DebugExitPort(exits::add).write(0xF4, 4, 0x10);
        assertThat(exits).containsExactly(new PartitionExit.DebugExit(0x21));
        assertThat(exits.getFirst().exitStatus()).isEqualTo(33);
    }

    @Test
    void resetPathsEndWithReset() {
        new I8042(exits::add).write(0x64, 1, 0xFE);
        new I8042(exits::add).write(0x64, 1, 0xD1); // other commands do nothing
        new ResetControl(exits::add).write(0xCF9, 1, 0x06);
        assertThat(exits).containsExactly(new PartitionExit.Reset(), new PartitionExit.Reset());
    }

    @Test
    void acpiSleepToS5PowersOffAndTheTimerRunsAt3579545Hz() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        AcpiPmBlock pm = new AcpiPmBlock(exits::add, now::get);
        assertThat(pm.read(AcpiPmBlock.PM1A_CNT, 2) & 1).isEqualTo(1); // SCI_EN: already in ACPI mode
        now.addAndGet(1_000_000_000L);
        assertThat(Integer.toUnsignedLong(pm.read(AcpiPmBlock.PM_TMR, 4))).isEqualTo(3_579_545L);
        pm.write(AcpiPmBlock.PM1A_CNT, 2, 5 << 10); // SLP_TYP without SLP_EN: nothing
        assertThat(exits).isEmpty();
        pm.write(AcpiPmBlock.PM1A_CNT, 2, 0x2000);
        assertThat(exits).containsExactly(new PartitionExit.PoweredOff());
    }

    @Test
    void rtcReportsHostTimeInBcdAndKeepsAGuestSetTime() {
        Clock clock = Clock.fixed(Instant.parse("2026-11-25T13:45:56Z"), ZoneOffset.UTC);
        CmosRtc rtc = new CmosRtc(clock, 512L << 20);
        assertThat(reg(rtc, 0x04)).isEqualTo(0x13);
        assertThat(reg(rtc, 0x02)).isEqualTo(0x45);
        assertThat(reg(rtc, 0x09)).isEqualTo(0x26);
        assertThat(reg(rtc, 0x32)).isEqualTo(0x20);
        // Memory above 16 MiB in 64 KiB blocks: (512 - 16) MiB.
        assertThat(reg(rtc, 0x34) | reg(rtc, 0x35) << 8).isEqualTo((512 - 16) * 16);
        // The guest sets 2027-01-02 03:04:05 in binary mode.
        set(rtc, 0x0B, 0x80 | 0x04 | 0x02);
        set(rtc, 0x00, 5);
        set(rtc, 0x02, 4);
        set(rtc, 0x04, 3);
        set(rtc, 0x07, 2);
        set(rtc, 0x08, 1);
        set(rtc, 0x09, 27);
        set(rtc, 0x32, 20);
        set(rtc, 0x0B, 0x04 | 0x02);
        assertThat(reg(rtc, 0x09)).isEqualTo(27);
        assertThat(reg(rtc, 0x04)).isEqualTo(3);
        assertThat(rtc.offset()).isPositive();
    }

    private static int reg(CmosRtc rtc, int r) {
        rtc.write(CmosRtc.INDEX, 1, r);
        return rtc.read(CmosRtc.DATA, 1);
    }

    private static void set(CmosRtc rtc, int r, int v) {
        rtc.write(CmosRtc.INDEX, 1, r);
        rtc.write(CmosRtc.DATA, 1, v);
    }
}
