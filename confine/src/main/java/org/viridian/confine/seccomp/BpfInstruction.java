package org.viridian.confine.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One classic-BPF instruction ({@code struct sock_filter}: u16 code, u8 jt, u8 jf, u32 k), the form seccomp filters
 * take. Jumps are forward only, {@code jt}/{@code jf} at most 255 instructions.
 */
public record BpfInstruction(int code, int jt, int jf, int k) {
    public static final int BYTES = 8;

    // Opcodes (<linux/bpf_common.h>): class | size | mode, class | op | source.
    public static final int LD_W_ABS = 0x00 | 0x00 | 0x20;
    public static final int JMP_JA = 0x05 | 0x00;
    public static final int JMP_JEQ_K = 0x05 | 0x10 | 0x00;
    public static final int JMP_JGE_K = 0x05 | 0x30 | 0x00;
    public static final int JMP_JSET_K = 0x05 | 0x40 | 0x00;
    public static final int RET_K = 0x06 | 0x00;

    public BpfInstruction {
        if ((code & ~0xffff) != 0 || (jt & ~0xff) != 0 || (jf & ~0xff) != 0)
            throw new IllegalArgumentException("instruction out of range: " + code + "/" + jt + "/" + jf);
    }

    public static BpfInstruction load(int offset) {
        return new BpfInstruction(LD_W_ABS, 0, 0, offset);
    }

    public static BpfInstruction jump(int op, int k, int jt, int jf) {
        return new BpfInstruction(op, jt, jf, k);
    }

    public static BpfInstruction ret(int action) {
        return new BpfInstruction(RET_K, 0, 0, action);
    }

    /** Writes the instruction in the host's (little-endian) order, as the kernel reads {@code struct sock_filter}. */
    public void writeTo(ByteBuffer out) {
        ByteOrder order = out.order();
        out.order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) code)
                .put((byte) jt)
                .put((byte) jf)
                .putInt(k)
                .order(order);
    }
}
