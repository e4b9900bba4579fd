package org.viridian.machine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds minimal ELF64 executables for loader tests (gcc cannot cross-link a higher-half kernel cheaply). */
final class Elf64Builder {
    private Elf64Builder() {}

    /** One PT_LOAD segment: {@code text} at vaddr/paddr, followed by {@code bss} zero bytes; entry = vaddr. */
    static byte[] kernel(long vaddr, long paddr, byte[] text, int bss) {
        int phoff = 64, dataOff = 4096;
        ByteBuffer b = ByteBuffer.allocate(dataOff + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 2)
                .putShort(18, (short) 62)
                .putInt(20, 1)
                .putLong(24, vaddr)
                .putLong(32, phoff)
                .putShort(52, (short) 64)
                .putShort(54, (short) 56)
                .putShort(56, (short) 1);
        b.putInt(phoff, 1)
                .putInt(phoff + 4, 7)
                .putLong(phoff + 8, dataOff)
                .putLong(phoff + 16, vaddr)
                .putLong(phoff + 24, paddr)
                .putLong(phoff + 32, text.length)
                .putLong(phoff + 40, text.length + bss)
                .putLong(phoff + 48, 0x20_0000);
        b.put(dataOff, text);
        return b.array();
    }
}
