package org.viridian.machine.acpi;

import org.viridian.machine.boot.BootLayout;

/**
 * The Multiple APIC Description Table: one enabled local APIC per processor (UID = APIC ID = index), the IOAPIC
 * (ID = cpuCount, GSI base 0), the SCI override (IRQ9 level-triggered, active-high), and LINT1 as NMI on all
 * processors. ISA IRQ0 stays on GSI 0: KVM's default routing wires the in-kernel PIT to IOAPIC pin 0, so the PC's
 * usual IRQ0 → GSI2 override would send the guest's timer to a pin nothing drives (QEMU re-routes GSI 0 to pin 2
 * instead; describing the wiring as it is needs no routing table).
 */
public final class Madt {
    static final int REVISION = 4;
    private static final int PCAT_COMPAT = 1;
    private static final int ENABLED = 1;
    /** MPS INTI flags: polarity active-high (01), trigger level (11 << 2). */
    static final int ACTIVE_HIGH_LEVEL = 0x1 | 0x3 << 2;

    private Madt() {}

    static SystemDescriptionTable build(int cpuCount) {
        ByteSink t = SystemDescriptionTable.begin("APIC", REVISION);
        t.u32(BootLayout.LAPIC_BASE).u32(PCAT_COMPAT);
        for (int cpu = 0; cpu < cpuCount; cpu++) {
            t.u8(0).u8(8).u8(cpu).u8(cpu).u32(ENABLED); // Processor Local APIC
        }
        t.u8(1).u8(12).u8(cpuCount).u8(0).u32(BootLayout.IOAPIC_BASE).u32(0); // I/O APIC
        t.u8(2).u8(10).u8(0).u8(Fadt.SCI_INT).u32(Fadt.SCI_INT).u16(ACTIVE_HIGH_LEVEL); // ISO: SCI
        t.u8(4).u8(6).u8(0xFF).u16(0).u8(1); // Local APIC NMI: all CPUs, LINT1
        return SystemDescriptionTable.finish("APIC", t);
    }
}
