package org.viridian.machine.acpi;

/**
 * The Fixed ACPI Description Table, revision 6 (276 bytes), for a legacy (not hardware-reduced) PC: PM1a event and
 * control blocks and the PM timer in I/O space, SCI on IRQ 9, no SMI command port (ACPI is always enabled, so the
 * ACPI PM device must report SCI_EN set), no GPE block. Both 32-bit and X_ 64-bit addresses are filled, identical.
 */
public final class Fadt {
    public static final int PM1A_EVT_BLK = 0x600;
    public static final int PM1A_CNT_BLK = 0x604;
    public static final int PM_TMR_BLK = 0x608;
    public static final int SCI_INT = 9;
    /** SLP_TYP for S5 (soft off), matching the DSDT's \_S5 package: OSPM writes SLP_EN|0<<10 = 0x2000 to PM1a_CNT. */
    public static final int SLP_TYP_S5 = 0;

    static final int REVISION = 6;
    static final int MINOR_REVISION = 0;

    // FADT flags (ACPI 6.x table 5.10).
    static final int WBINVD = 1, PROC_C1 = 1 << 2, PWR_BUTTON = 1 << 4, SLP_BUTTON = 1 << 5, RESET_REG_SUP = 1 << 10;
    /** WBINVD works, C1 everywhere, power/sleep buttons absent as fixed features, reset register valid. TMR_VAL_EXT is
     * clear: a 24-bit timer is what every PM timer implements, and Linux masks to 24 bits anyway. */
    static final int FLAGS = WBINVD | PROC_C1 | PWR_BUTTON | SLP_BUTTON | RESET_REG_SUP;
    /**
     * IAPC_BOOT_ARCH: legacy ISA devices present (VGA and CMOS flags left clear: the RTC exists); no i8042. Viridian's
     * I8042 is only a reset line and a status port (the keyboard is the synthetic one, on VMBus, as on Hyper-V's
     * generation 2): declared present, Linux probed it directly and waited out a configuration byte that never came,
     * 10,000 status reads 50 µs apart ("i8042: Can't read CTR while initializing i8042"), half a second of every boot on
     * hardware and 9,286 user-space exits of a 12.7 s kernel boot in the nested test host. Absent, Linux does not probe
     * it (since 4.10, "Input: i8042 - Trust firmware a bit more when probing on X86"); the reset register and reboot=k
     * still write 0xFE to port 0x64.
     */
    static final int IAPC_BOOT_ARCH = 0x0001;

    private static final int SYSTEM_IO = 1;

    private Fadt() {}

    static SystemDescriptionTable build(long facs, long dsdt, AcpiConfig.ResetRegister reset) {
        ByteSink t = SystemDescriptionTable.begin("FACP", REVISION);
        t.u32(facs).u32(dsdt);
        t.u8(0); // reserved (was INT_MODEL)
        t.u8(0); // Preferred_PM_Profile: unspecified
        t.u16(SCI_INT);
        t.u32(0); // SMI_CMD: none, ACPI mode is permanent
        t.u8(0).u8(0).u8(0).u8(0); // ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        t.u32(PM1A_EVT_BLK).u32(0); // PM1a/PM1b_EVT_BLK
        t.u32(PM1A_CNT_BLK).u32(0); // PM1a/PM1b_CNT_BLK
        t.u32(0); // PM2_CNT_BLK
        t.u32(PM_TMR_BLK);
        t.u32(0).u32(0); // GPE0/GPE1_BLK
        t.u8(4).u8(2).u8(0).u8(4); // PM1_EVT_LEN, PM1_CNT_LEN, PM2_CNT_LEN, PM_TMR_LEN
        t.u8(0).u8(0).u8(0).u8(0); // GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE, CST_CNT
        t.u16(101).u16(1001); // P_LVL2_LAT, P_LVL3_LAT: > 100 / > 1000 µs = C2/C3 unsupported
        t.u16(0).u16(0); // FLUSH_SIZE, FLUSH_STRIDE
        t.u8(0).u8(0); // DUTY_OFFSET, DUTY_WIDTH
        t.u8(0).u8(0).u8(0x32); // DAY_ALRM, MON_ALRM, CENTURY (CMOS index 0x32)
        t.u16(IAPC_BOOT_ARCH);
        t.u8(0); // reserved
        t.u32(FLAGS);
        gas(t, reset.port(), 8, 1); // RESET_REG
        t.u8(reset.value());
        t.u16(0); // ARM_BOOT_ARCH
        t.u8(MINOR_REVISION);
        t.u64(facs).u64(dsdt); // X_FIRMWARE_CTRL, X_DSDT
        gas(t, PM1A_EVT_BLK, 32, 2); // X_PM1a_EVT_BLK
        gas(t, 0, 0, 0); // X_PM1b_EVT_BLK
        gas(t, PM1A_CNT_BLK, 16, 2); // X_PM1a_CNT_BLK
        gas(t, 0, 0, 0); // X_PM1b_CNT_BLK
        gas(t, 0, 0, 0); // X_PM2_CNT_BLK
        gas(t, PM_TMR_BLK, 32, 3); // X_PM_TMR_BLK
        gas(t, 0, 0, 0); // X_GPE0_BLK
        gas(t, 0, 0, 0); // X_GPE1_BLK
        gas(t, 0, 0, 0); // SLEEP_CONTROL_REG (hardware-reduced only)
        gas(t, 0, 0, 0); // SLEEP_STATUS_REG
        t.ascii("Viridian", 8, ' '); // Hypervisor Vendor Identity
        return SystemDescriptionTable.finish("FACP", t);
    }

    /** A Generic Address Structure in system I/O space (all zero when {@code port} is 0). */
    private static void gas(ByteSink t, int port, int bitWidth, int accessSize) {
        if (port == 0) {
            t.u8(0).u8(0).u8(0).u8(0).u64(0);
        } else {
            t.u8(SYSTEM_IO).u8(bitWidth).u8(0).u8(accessSize).u64(port);
        }
    }
}
