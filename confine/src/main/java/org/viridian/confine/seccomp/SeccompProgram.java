package org.viridian.confine.seccomp;

import static org.viridian.confine.seccomp.BpfInstruction.JMP_JEQ_K;
import static org.viridian.confine.seccomp.BpfInstruction.JMP_JGE_K;
import static org.viridian.confine.seccomp.BpfInstruction.JMP_JSET_K;
import static org.viridian.confine.seccomp.BpfInstruction.jump;
import static org.viridian.confine.seccomp.BpfInstruction.load;
import static org.viridian.confine.seccomp.BpfInstruction.ret;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Builds the classic-BPF program of a {@link SeccompPolicy}: check the architecture, refuse the x32 range, then one
 * test per rule (refusals first, so they win; then the argument tests, as the kernel's seccomp cache answers the
 * unconditional allows without running the filter, so only the argument-tested calls pay for their place), then the
 * default refusal. Every rule ends in a return of its own, so
 * each test jumps at most a few instructions and the program stays far below the kernel's 4096.
 */
public final class SeccompProgram {
    /** {@code struct seccomp_data}: nr, arch, instruction_pointer, args[6]. */
    static final int NR = 0, ARCH = 4, ARGS = 16;

    /** {@code AUDIT_ARCH_X86_64}: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    public static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    /** x32 system calls are the x86-64 numbers with this bit set: a second ABI the worker never uses. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    public static final int RET_ALLOW = 0x7fff0000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int MAX_INSTRUCTIONS = 4096;

    private SeccompProgram() {}

    public static int errnoAction(int errno) {
        return RET_ERRNO | (errno & 0xffff);
    }

    public static List<BpfInstruction> build(SeccompPolicy policy) {
        int refuse = errnoAction(policy.defaultErrno());
        List<BpfInstruction> p = new ArrayList<>();
        p.add(load(ARCH));
        p.add(jump(JMP_JEQ_K, AUDIT_ARCH_X86_64, 1, 0));
        p.add(ret(refuse));
        p.add(load(NR));
        p.add(jump(JMP_JGE_K, X32_SYSCALL_BIT, 0, 1));
        p.add(ret(refuse));
        List<Rule> ordered = new ArrayList<>(policy.rules());
        ordered.sort(Comparator.comparingInt(r -> r instanceof Rule.Refuse ? 0 : r instanceof Rule.AllowIf ? 1 : 2));
        for (Rule rule : ordered) {
            List<BpfInstruction> body = body(rule);
            // Not this call: skip the body (the accumulator still holds nr; bodies that load an argument return).
            p.add(jump(JMP_JEQ_K, rule.call().number(), 0, body.size()));
            p.addAll(body);
        }
        p.add(ret(refuse));
        if (p.size() > MAX_INSTRUCTIONS) throw new IllegalArgumentException("filter too long: " + p.size());
        return List.copyOf(p);
    }

    private static List<BpfInstruction> body(Rule rule) {
        return switch (rule) {
            case Rule.Allow a -> List.of(ret(RET_ALLOW));
            case Rule.Refuse r -> List.of(ret(errnoAction(r.errno())));
            case Rule.AllowIf c -> {
                List<BpfInstruction> b = new ArrayList<>();
                b.add(load(ARGS + 8 * c.arg())); // the low 32 bits (little-endian): the int the kernel reads
                switch (c.test()) {
                    case Rule.ArgTest.OneOf o -> {
                        int n = o.values().size();
                        // Each match jumps over the remaining tests and the refusal to the allow.
                        for (int i = 0; i < n; i++)
                            b.add(jump(JMP_JEQ_K, o.values().get(i), n - i, 0));
                    }
                    case Rule.ArgTest.HasBit h -> b.add(jump(JMP_JSET_K, h.bit(), 1, 0));
                }
                b.add(ret(errnoAction(c.errno())));
                b.add(ret(RET_ALLOW));
                yield b;
            }
        };
    }
}
