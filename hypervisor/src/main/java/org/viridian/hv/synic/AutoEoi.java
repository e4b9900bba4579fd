package org.viridian.hv.synic;

/**
 * Where a VP's SINT settings go so that AutoEOI interrupts end without the guest's EOI (TLFS 11.8.4): the partition
 * hands them to KVM's in-kernel LAPIC, which alone sees the interrupt being taken.
 */
@FunctionalInterface
public interface AutoEoi {
    /** A SINT's vector, mask and AutoEOI bit changed; false when nothing below can emulate AutoEOI. */
    boolean sintChanged(int sint, long value);
}
