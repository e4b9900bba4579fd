package org.viridian.hv.hypercall;

import java.io.ByteArrayOutputStream;

/**
 * The code Viridian writes into the page the guest names in HV_X64_MSR_HYPERCALL. KVM would answer VMCALL itself, so
 * the page makes the call reach user space with a port write instead: {@code out 0xE8, al; ret}. The caller's
 * registers are untouched, so the TLFS register ABI (64-bit: RCX control, RDX input, R8 output, result in RAX;
 * 32-bit: EDX:EAX, EBX:ECX, EDI:ESI) holds, and the same bytes work in both modes.
 *
 * <p>Where KVM implements the SMP hypercalls in the kernel (remote TLB flush, synthetic cluster IPIs), the page first
 * compares the call code with those and sends them by VMCALL/VMMCALL: KVM then flushes or interrupts the target VPs
 * itself, with no trip to user space. That page depends on the mode (the call code is in CX in 64-bit mode, in AX in
 * 32-bit mode), so it is written for the mode the guest is in when it enables the page.
 *
 * <p>A 64-bit page can also send the fast HvSignalEvent (control 0x1005D, flag number 0) a shorter way: the
 * connection id written to {@link SignalDoorbells#PORT}, which KVM answers in the kernel for the connections it was
 * given (see SignalDoorbells); then the page returns success itself. For other ids the write still exits to user
 * space, where {@link FastSignalFallback} makes the full call and returns its status past the page's own.
 */
public final class HypercallPage {
    public static final int PORT = 0xE8;
    static final byte[] CODE = {(byte) 0xE6, (byte) PORT, (byte) 0xC3};

    /** HvFlushVirtualAddressSpace/List (+Ex), HvSendSyntheticClusterIpi (+Ex): what KVM answers in the kernel. */
    public static final int[] KERNEL_CALLS = {0x0002, 0x0003, 0x000B, 0x0013, 0x0014, 0x0015};

    /** VMCALL (Intel) and VMMCALL (AMD): the instruction that reaches KVM's own hypercall handler. */
    public static final byte[] VMCALL = {0x0F, 0x01, (byte) 0xC1}, VMMCALL = {0x0F, 0x01, (byte) 0xD9};

    /**
     * The 64-bit fast-signal prefix: {@code cmp rcx, 0x1005D; jne rest; mov rax, rdx; shr rax, 32; jnz rest;
     * mov eax, edx; out 0xE9, eax; xor eax, eax; ret}. RAX is no input in 64-bit mode, so clobbering it on the way to
     * the rest of the page is harmless.
     */
    static final byte[] FAST_SIGNAL = {
        0x48,
        (byte) 0x81,
        (byte) 0xF9,
        0x5D,
        0x00,
        0x01,
        0x00, // cmp rcx, 0x1005D
        0x75,
        0x10, // jne +16
        0x48,
        (byte) 0x89,
        (byte) 0xD0, // mov rax, rdx
        0x48,
        (byte) 0xC1,
        (byte) 0xE8,
        0x20, // shr rax, 32
        0x75,
        0x07, // jnz +7
        (byte) 0x89,
        (byte) 0xD0, // mov eax, edx
        (byte) 0xE7,
        (byte) SignalDoorbells.PORT, // out 0xE9, eax
        0x31,
        (byte) 0xC0, // xor eax, eax
        (byte) 0xC3 // ret
    };
    /** Where the prefix's port write is, and how far the call's return is past it (the write and the xor). */
    public static final int FAST_SIGNAL_OUT = 20, FAST_SIGNAL_SKIP = 4;

    private HypercallPage() {}

    public static byte[] code() {
        return CODE.clone();
    }

    /**
     * The page for a guest in {@code longMode}: calls in {@link #KERNEL_CALLS} go to KVM by {@code kernelCall}, the
     * rest to user space; {@code kernelCall} null: everything to user space.
     */
    public static byte[] code(boolean longMode, byte[] kernelCall) {
        return code(longMode, kernelCall, false);
    }

    /** {@link #code(boolean, byte[])}, with {@code fastSignal}: a 64-bit page starts with {@link #FAST_SIGNAL}. */
    public static byte[] code(boolean longMode, byte[] kernelCall, boolean fastSignal) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (fastSignal && longMode) b.writeBytes(FAST_SIGNAL);
        if (kernelCall == null) {
            b.writeBytes(CODE);
            return b.toByteArray();
        }
        // Each test: cmp cx|ax, imm16 (66 81 F9 iw | 66 3D iw), then je to the kernel call (patched below).
        int compareLength = longMode ? 5 : 4, testLength = compareLength + 2;
        int kernelAt = KERNEL_CALLS.length * testLength + CODE.length;
        for (int i = 0; i < KERNEL_CALLS.length; i++) {
            int code = KERNEL_CALLS[i];
            if (longMode) b.writeBytes(new byte[] {0x66, (byte) 0x81, (byte) 0xF9});
            else b.writeBytes(new byte[] {0x66, 0x3D});
            b.write(code & 0xFF);
            b.write(code >>> 8);
            b.write(0x74); // je rel8
            b.write(kernelAt - (i + 1) * testLength);
        }
        b.writeBytes(CODE);
        b.writeBytes(kernelCall);
        b.write(0xC3);
        return b.toByteArray();
    }
}
