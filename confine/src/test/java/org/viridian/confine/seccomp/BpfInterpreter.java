package org.viridian.confine.seccomp;

import java.util.List;

/**
 * A classic-BPF interpreter for the instructions {@link SeccompProgram} emits, run over a {@code struct seccomp_data},
 * as the kernel runs a filter: the test asks it what the filter answers to each call.
 */
final class BpfInterpreter {
    /** {@code struct seccomp_data} as the filter sees it. */
    record Data(int nr, int arch, long[] args) {
        Data(Syscall call, long... args) {
            this(call.number(), SeccompProgram.AUDIT_ARCH_X86_64, java.util.Arrays.copyOf(args, 6));
        }

        int word(int offset) {
            if (offset == SeccompProgram.NR) return nr;
            if (offset == SeccompProgram.ARCH) return arch;
            if (offset == 8 || offset == 12) return 0; // instruction_pointer
            int arg = (offset - SeccompProgram.ARGS) / 8;
            if (offset < SeccompProgram.ARGS || arg > 5 || offset % 4 != 0)
                throw new IllegalStateException("load out of seccomp_data: " + offset);
            long v = args[arg];
            return offset % 8 == 0 ? (int) v : (int) (v >>> 32);
        }
    }

    private BpfInterpreter() {}

    static int run(List<BpfInstruction> program, Data data) {
        int a = 0;
        for (int pc = 0; pc < program.size(); pc++) {
            BpfInstruction i = program.get(pc);
            switch (i.code()) {
                case BpfInstruction.LD_W_ABS -> a = data.word(i.k());
                case BpfInstruction.RET_K -> {
                    return i.k();
                }
                case BpfInstruction.JMP_JA -> pc += i.k();
                case BpfInstruction.JMP_JEQ_K -> pc += a == i.k() ? i.jt() : i.jf();
                case BpfInstruction.JMP_JGE_K -> pc += Integer.compareUnsigned(a, i.k()) >= 0 ? i.jt() : i.jf();
                case BpfInstruction.JMP_JSET_K -> pc += (a & i.k()) != 0 ? i.jt() : i.jf();
                default -> throw new IllegalStateException("opcode " + i.code() + " at " + pc);
            }
        }
        throw new IllegalStateException("fell off the end of the program");
    }
}
