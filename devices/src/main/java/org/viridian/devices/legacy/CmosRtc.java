package org.viridian.devices.legacy;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import org.viridian.partition.bus.PortIoHandler;

/**
 * MC146818 CMOS RTC at 0x70/0x71: the wall clock (host UTC plus whatever offset the guest sets), the status registers
 * an OS polls, and the classic memory-size bytes firmware would have written. Time follows status B: BCD or binary,
 * 12- or 24-hour; a guest that sets the clock (SET bit, write the fields, clear SET) moves its own offset only.
 */
public final class CmosRtc implements PortIoHandler {
    public static final int INDEX = 0x70, DATA = 0x71;
    private static final int SEC = 0x00,
            MIN = 0x02,
            HOUR = 0x04,
            WEEKDAY = 0x06,
            DAY = 0x07,
            MONTH = 0x08,
            YEAR = 0x09,
            STATUS_A = 0x0A,
            STATUS_B = 0x0B,
            STATUS_C = 0x0C,
            STATUS_D = 0x0D,
            CENTURY = 0x32;
    private static final int B_SET = 0x80, B_BINARY = 0x04, B_24H = 0x02;

    private final Clock clock;
    private final byte[] ram = new byte[128];
    private int index;
    private Duration offset = Duration.ZERO;

    public CmosRtc(Clock clock, long memoryBytes) {
        this.clock = clock;
        ram[STATUS_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate; UIP never set (updates are atomic here)
        ram[STATUS_B] = B_24H;
        ram[STATUS_D] = (byte) 0x80; // RTC power good
        long kbAbove1M = Math.max(0, Math.min(memoryBytes, 0xC000_0000L) - (1 << 20)) >> 10;
        putWord(0x15, 640);
        putWord(0x17, (int) Math.min(kbAbove1M, 0xFFFF));
        putWord(0x30, (int) Math.min(kbAbove1M, 0xFFFF));
        long blocksAbove16M = Math.max(0, Math.min(memoryBytes, 0xC000_0000L) - (16 << 20)) >> 16;
        putWord(0x34, (int) Math.min(blocksAbove16M, 0xFFFF));
        long above4G = Math.max(0, memoryBytes - 0xC000_0000L) >> 16;
        ram[0x5B] = (byte) above4G;
        ram[0x5C] = (byte) (above4G >> 8);
        ram[0x5D] = (byte) (above4G >> 16);
    }

    /** NVRAM, the selected register and the guest's offset from the host clock, for save/restore. */
    public record State(byte[] ram, int index, long offsetNanos) {
        public State {
            if (ram.length != 128) throw new IllegalArgumentException("CMOS RAM is 128 bytes");
            ram = ram.clone();
        }
    }

    public synchronized State state() {
        return new State(ram, index, offset.toNanos());
    }

    public synchronized void restore(State s) {
        System.arraycopy(s.ram(), 0, ram, 0, ram.length);
        index = s.index() & 0x7F;
        offset = Duration.ofNanos(s.offsetNanos());
    }

    private void putWord(int at, int v) {
        ram[at] = (byte) v;
        ram[at + 1] = (byte) (v >> 8);
    }

    @Override
    public synchronized int read(int port, int size) {
        if (port == INDEX) return 0xFF;
        int reg = index;
        return switch (reg) {
            case SEC, MIN, HOUR, WEEKDAY, DAY, MONTH, YEAR, CENTURY ->
                (ram[STATUS_B] & B_SET) != 0 ? Byte.toUnsignedInt(ram[reg]) : timeField(reg, now());
            case STATUS_C -> 0; // no periodic/alarm/update interrupts pending
            default -> Byte.toUnsignedInt(ram[reg]);
        };
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        if (port == INDEX) {
            index = value & 0x7F; // bit 7 is the NMI mask
            return;
        }
        int v = value & 0xFF;
        switch (index) {
            case STATUS_B -> {
                boolean wasSet = (ram[STATUS_B] & B_SET) != 0;
                if (!wasSet && (v & B_SET) != 0) snapshotTime();
                ram[STATUS_B] = (byte) v;
                if (wasSet && (v & B_SET) == 0) applyGuestTime();
            }
            case STATUS_C, STATUS_D -> {}
            case STATUS_A -> ram[STATUS_A] = (byte) (v & 0x7F);
            default -> ram[index] = (byte) v;
        }
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock).plus(offset);
    }

    /** While SET is on, the guest edits a frozen copy of the time in RAM. */
    private void snapshotTime() {
        LocalDateTime t = now();
        for (int r : new int[] {SEC, MIN, HOUR, WEEKDAY, DAY, MONTH, YEAR, CENTURY}) ram[r] = (byte) timeField(r, t);
    }

    private void applyGuestTime() {
        try {
            int hour = decode(ram[HOUR] & 0x7F);
            if ((ram[STATUS_B] & B_24H) == 0) {
                boolean pm = (ram[HOUR] & 0x80) != 0;
                hour = hour % 12 + (pm ? 12 : 0);
            }
            LocalDateTime set = LocalDateTime.of(
                    decode(ram[CENTURY]) * 100 + decode(ram[YEAR]),
                    decode(ram[MONTH]),
                    decode(ram[DAY]),
                    hour,
                    decode(ram[MIN]),
                    decode(ram[SEC]));
            offset = Duration.between(LocalDateTime.now(clock), set);
        } catch (java.time.DateTimeException e) {
            // An impossible date leaves the clock as it was, as a real RTC would keep counting.
        }
    }

    private int timeField(int reg, LocalDateTime t) {
        int v =
                switch (reg) {
                    case SEC -> t.getSecond();
                    case MIN -> t.getMinute();
                    case HOUR -> t.getHour();
                    case WEEKDAY -> t.getDayOfWeek().getValue() % 7 + 1; // 1 = Sunday
                    case DAY -> t.getDayOfMonth();
                    case MONTH -> t.getMonthValue();
                    case YEAR -> t.getYear() % 100;
                    default -> t.getYear() / 100;
                };
        if (reg == HOUR && (ram[STATUS_B] & B_24H) == 0) {
            int h12 = v % 12 == 0 ? 12 : v % 12;
            return encode(h12) | (v >= 12 ? 0x80 : 0);
        }
        return encode(v);
    }

    private int encode(int v) {
        return (ram[STATUS_B] & B_BINARY) != 0 ? v : (v / 10) << 4 | v % 10;
    }

    private int decode(int v) {
        v &= 0xFF;
        return (ram[STATUS_B] & B_BINARY) != 0 ? v : (v >> 4) * 10 + (v & 0x0F);
    }

    /** For tests and save/restore: the guest's offset from host UTC. */
    public synchronized Duration offset() {
        return offset;
    }
}
