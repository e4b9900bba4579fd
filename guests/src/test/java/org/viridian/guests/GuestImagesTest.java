package org.viridian.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Static checks of the packaged images against the boot ABI (no emulator needed). */
class GuestImagesTest {
    private static final int MB_MAGIC = 0x1BADB002;

    @Test
    void allImagesArePackaged() {
        assertThat(TestGuests.names())
                .containsExactlyInAnyOrder(
                        TestGuests.HELLO,
                        TestGuests.SMP,
                        TestGuests.CPL3,
                        TestGuests.EXCEPTIONS,
                        TestGuests.POWEROFF,
                        TestGuests.FAULT,
                        TestGuests.BENCH_PIO,
                        TestGuests.HYPERV,
                        TestGuests.BENCH_HV,
                        TestGuests.VMBUS,
                        TestGuests.BENCH_VMBUS,
                        TestGuests.STORAGE,
                        TestGuests.BENCH_STORVSP,
                        TestGuests.COUNTER);
    }

    @Test
    void guestsAreMultibootElf32LoadedAboveOneMiB() {
        for (String name : TestGuests.names()) {
            if (!name.endsWith(".elf")) {
                continue;
            }
            ByteBuffer elf = ByteBuffer.wrap(TestGuests.bytes(name)).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(elf.getInt(0)).as(name + " ELF magic").isEqualTo(0x464C457F);
            assertThat(elf.get(4))
                    .as(name + " ELFCLASS32 (QEMU's multiboot loader wants i386)")
                    .isEqualTo((byte) 1);
            assertThat(elf.getShort(18)).as(name + " EM_386").isEqualTo((short) 3);
            int entry = elf.getInt(24), phoff = elf.getInt(28), phentsize = elf.getShort(42), phnum = elf.getShort(44);
            boolean entryLoaded = false;
            for (int i = 0; i < phnum; i++) {
                int ph = phoff + i * phentsize;
                if (elf.getInt(ph) != 1) { // PT_LOAD
                    continue;
                }
                long paddr = Integer.toUnsignedLong(elf.getInt(ph + 12)),
                        memsz = Integer.toUnsignedLong(elf.getInt(ph + 20));
                assertThat(paddr).as(name + " PT_LOAD physical address").isGreaterThanOrEqualTo(0x100000);
                entryLoaded |= Integer.toUnsignedLong(entry) >= paddr && Integer.toUnsignedLong(entry) < paddr + memsz;
            }
            assertThat(entryLoaded)
                    .as(name + " entry point inside a PT_LOAD segment")
                    .isTrue();
            int header = -1;
            for (int off = 0; off + 12 <= Math.min(8192, elf.limit()); off += 4) {
                if (elf.getInt(off) == MB_MAGIC && elf.getInt(off) + elf.getInt(off + 4) + elf.getInt(off + 8) == 0) {
                    header = off;
                    break;
                }
            }
            assertThat(header).as(name + " multiboot header in the first 8 KiB").isNotNegative();
        }
    }
}
