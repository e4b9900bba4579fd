package org.viridian.partition.state;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * Everything KVM holds for one virtual processor, taken while it is parked: general and segment registers, the
 * kernel's state structs by name (XSAVE, XCRS, LAPIC, VCPU_EVENTS, MP_STATE, DEBUGREGS; raw, as KVM defines them), and
 * the MSRs KVM lists for save/restore with their values (TSC first, so that deadline and adjust MSRs restored after it
 * mean what they meant). Synthetic (Hyper-V) MSRs are not here: the hypervisor interface saves its own.
 */
public record VpSnapshot(int index, Regs regs, Sregs sregs, Map<String, byte[]> blobs, int[] msrs, long[] msrValues) {
    public VpSnapshot {
        blobs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(blobs));
        msrs = msrs.clone();
        msrValues = msrValues.clone();
        if (msrs.length != msrValues.length)
            throw new IllegalArgumentException("MSR indices and values differ in count");
    }

    @Override
    public int[] msrs() {
        return msrs.clone();
    }

    @Override
    public long[] msrValues() {
        return msrValues.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VpSnapshot v
                && index == v.index
                && regs.equals(v.regs)
                && sameSregs(sregs, v.sregs)
                && blobs.keySet().equals(v.blobs.keySet())
                && blobs.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), v.blobs.get(e.getKey())))
                && Arrays.equals(msrs, v.msrs)
                && Arrays.equals(msrValues, v.msrValues);
    }

    /** Sregs' record equality compares its interrupt bitmap by reference. */
    private static boolean sameSregs(Sregs a, Sregs b) {
        return Arrays.equals(a.interruptBitmap(), b.interruptBitmap())
                && withoutBitmap(a).equals(withoutBitmap(b));
    }

    private static final long[] NO_BITMAP = new long[4];

    private static Sregs withoutBitmap(Sregs s) {
        return new Sregs(
                s.cs(),
                s.ds(),
                s.es(),
                s.fs(),
                s.gs(),
                s.ss(),
                s.tr(),
                s.ldt(),
                s.gdt(),
                s.idt(),
                s.cr0(),
                s.cr2(),
                s.cr3(),
                s.cr4(),
                s.cr8(),
                s.efer(),
                s.apicBase(),
                NO_BITMAP);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(msrValues) * 31 + index;
    }
}
