package org.viridian.machine.acpi;

import static org.viridian.machine.acpi.Aml.*;

import java.util.ArrayList;
import java.util.List;

/**
 * The Differentiated System Description Table: processor devices (ACPI0007, UIDs matching the MADT), COM1, the
 * devices from {@link AcpiConfig#sbDevices()}, and the \_S5 soft-off package.
 */
public final class Dsdt {
    /** Revision 2: AML integers are 64-bit. */
    static final int REVISION = 2;

    private Dsdt() {}

    /** The AML body (everything after the table header). */
    static List<AmlTerm> body(AcpiConfig config) {
        List<AmlTerm> sb = new ArrayList<>();
        for (int cpu = 0; cpu < config.cpuCount(); cpu++) {
            sb.add(device(String.format("C%03X", cpu), name("_HID", string("ACPI0007")), name("_UID", integer(cpu))));
        }
        sb.add(com1());
        sb.addAll(config.sbDevices());
        return List.of(scope("\\_SB", sb), name("\\_S5", pkg(integer(Fadt.SLP_TYP_S5), integer(Fadt.SLP_TYP_S5))));
    }

    /** The first 16550 UART: I/O 0x3F8–0x3FF, IRQ 4. */
    static AmlTerm com1() {
        return device(
                "COM1",
                name("_HID", eisaId("PNP0501")),
                name("_UID", integer(1)),
                staPresent(),
                name("_CRS", new ResourceTemplate().io(0x3F8, 8).irqNoFlags(4).build()));
    }

    static SystemDescriptionTable build(AcpiConfig config) {
        ByteSink t = SystemDescriptionTable.begin("DSDT", REVISION);
        body(config).forEach(term -> term.emit(t));
        return SystemDescriptionTable.finish("DSDT", t);
    }
}
