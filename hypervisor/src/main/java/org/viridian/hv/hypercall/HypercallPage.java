package org.viridian.hv.hypercall;

/**
 * The code Viridian writes into the page the guest names in HV_X64_MSR_HYPERCALL. KVM would answer VMCALL itself, so
 * the page makes the call reach user space with a port write instead: {@code out 0xE8, al; ret}. The caller's
 * registers are untouched, so the TLFS register ABI (64-bit: RCX control, RDX input, R8 output, result in RAX;
 * 32-bit: EDX:EAX, EBX:ECX, EDI:ESI) holds, and the same bytes work in both modes.
 */
public final class HypercallPage {
    public static final int PORT = 0xE8;
    static final byte[] CODE = {(byte) 0xE6, (byte) PORT, (byte) 0xC3};

    private HypercallPage() {}

    public static byte[] code() {
        return CODE.clone();
    }
}
