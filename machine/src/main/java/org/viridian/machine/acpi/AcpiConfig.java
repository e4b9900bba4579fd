package org.viridian.machine.acpi;

import java.util.ArrayList;
import java.util.List;

/**
 * What the ACPI tables describe: the number of processors, the reset mechanism, and extra devices under {@code \_SB}
 * (the extension point: VMBus, storage controllers and the like build an {@link Aml#device} and add it here).
 *
 * @param cpuCount  processors, with local APIC IDs and ACPI UIDs 0..cpuCount-1; the IOAPIC gets ID cpuCount
 * @param reset     how the FADT reset register resets the machine
 * @param sbDevices additional device terms placed in {@code \_SB}, after the built-in ones
 */
public record AcpiConfig(int cpuCount, ResetRegister reset, List<AmlTerm> sbDevices) {
    /** Local APIC and IOAPIC IDs share an 8-bit space in the MADT (no x2APIC entries are generated). */
    public static final int MAX_CPUS = 254;

    public AcpiConfig {
        if (cpuCount < 1 || cpuCount > MAX_CPUS) throw new IllegalArgumentException("cpuCount must be 1.." + MAX_CPUS);
        sbDevices = List.copyOf(sbDevices);
    }

    public static AcpiConfig of(int cpuCount) {
        return new AcpiConfig(cpuCount, ResetRegister.KEYBOARD_CONTROLLER, List.of());
    }

    /** A copy with one more device under {@code \_SB}. */
    public AcpiConfig withDevice(AmlTerm device) {
        List<AmlTerm> list = new ArrayList<>(sbDevices);
        list.add(device);
        return new AcpiConfig(cpuCount, reset, list);
    }

    /**
     * The FADT RESET_REG: an I/O port and the byte OSPM writes to it.
     * {@link #KEYBOARD_CONTROLLER} (0x64 ← 0xFE, pulse the i8042 reset line) is the default because Viridian emulates
     * an
     * i8042; {@link #PCI_RESET_CONTROL} (0xCF9 ← 0x06, hard reset) suits a chipset that implements that register.
     */
    public record ResetRegister(int port, int value) {
        public static final ResetRegister KEYBOARD_CONTROLLER = new ResetRegister(0x64, 0xFE);
        public static final ResetRegister PCI_RESET_CONTROL = new ResetRegister(0xCF9, 0x06);
    }
}
