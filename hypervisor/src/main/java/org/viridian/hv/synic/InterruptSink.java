package org.viridian.hv.synic;

/** Raises a fixed interrupt on a VP's local APIC (KVM: an MSI to that VP's APIC id). */
@FunctionalInterface
public interface InterruptSink {
    void raise(int vp, int vector);
}
