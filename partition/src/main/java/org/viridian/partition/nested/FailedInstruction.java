package org.viridian.partition.nested;

/**
 * What an instruction that KVM's emulator rejected should have done architecturally. On nested hosts that emulate
 * guest CPL0 code, KVM gives up on some exception-raising instructions; the VMM raises the exception itself.
 */
public sealed interface FailedInstruction {
    /** Trap-class: the exception is delivered with RIP after the instruction (int3, int n, int1). */
    record Trap(int vector, int length) implements FailedInstruction {}

    /** Fault-class: delivered with RIP at the instruction (ud2 raises #UD). */
    record Fault(int vector) implements FailedInstruction {}

    /** Not one the VMM knows how to complete: the partition crashes with a report. */
    record Unknown() implements FailedInstruction {}

    int BP = 3, UD = 6, DB = 1;

    /** Classifies the bytes at RIP, skipping legacy prefixes and a REX prefix (which do not change these opcodes). */
    static FailedInstruction classify(byte[] insn) {
        int i = 0;
        while (i < insn.length && i < 14 && isPrefix(insn[i] & 0xFF)) i++;
        if (i >= insn.length) return new Unknown();
        int op = insn[i] & 0xFF;
        return switch (op) {
            case 0xCC -> new Trap(BP, i + 1);
            case 0xF1 -> new Trap(DB, i + 1);
            case 0xCD -> i + 1 < insn.length ? new Trap(insn[i + 1] & 0xFF, i + 2) : new Unknown();
            case 0x0F -> i + 1 < insn.length && (insn[i + 1] & 0xFF) == 0x0B ? new Fault(UD) : new Unknown();
            default -> new Unknown();
        };
    }

    private static boolean isPrefix(int b) {
        return switch (b) {
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3 -> true;
            default -> b >= 0x40 && b <= 0x4F; // REX (64-bit mode only; harmless to skip for these opcodes)
        };
    }
}
