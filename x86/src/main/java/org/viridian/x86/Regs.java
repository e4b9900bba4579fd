package org.viridian.x86;

/** The general-purpose registers, RIP and RFLAGS (KVM's struct kvm_regs holds the same, in this order). */
public record Regs(
        long rax,
        long rbx,
        long rcx,
        long rdx,
        long rsi,
        long rdi,
        long rsp,
        long rbp,
        long r8,
        long r9,
        long r10,
        long r11,
        long r12,
        long r13,
        long r14,
        long r15,
        long rip,
        long rflags) {
    /** Reset state: RFLAGS bit 1 is architecturally always set. */
    public static Regs zero() {
        return new Regs(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
    }

    /** The same registers with RAX and RDX replaced (a result in RAX, or in EDX:EAX for 32-bit callers). */
    public Regs withRaxRdx(long newRax, long newRdx) {
        return new Regs(
                newRax, rbx, rcx, newRdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags);
    }

    public Regs withRip(long newRip) {
        return new Regs(rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, newRip, rflags);
    }

    @Override
    public String toString() {
        return String.format(
                """
                rax=%016x rbx=%016x rcx=%016x rdx=%016x
                rsi=%016x rdi=%016x rsp=%016x rbp=%016x
                r8 =%016x r9 =%016x r10=%016x r11=%016x
                r12=%016x r13=%016x r14=%016x r15=%016x
                rip=%016x rflags=%08x""",
                rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags);
    }
}
