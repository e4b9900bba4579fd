package org.viridian.machine.acpi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.machine.boot.BootLayout;
import org.viridian.partition.memory.GuestMemory;

/**
 * Generates the complete ACPI table set and places it in the BIOS area: the RSDP at {@link BootLayout#ACPI_BASE}
 * (0xE0000, where OSes and test guests scan for "RSD PTR "), followed by FACS (64-byte aligned), DSDT, FADT, MADT,
 * RSDT and XSDT. The whole range lies in the e820-reserved [0x9FC00, 1 MiB), so no extra map entry is needed.
 *
 * @param rsdpAddress where the RSDP is (for boot_params.acpi_rsdp_addr)
 * @param rsdp        the 36-byte RSDP (revision 2)
 * @param tables      every other table by signature, in placement order, with its address
 */
public record AcpiTables(long rsdpAddress, byte[] rsdp, Map<String, Placed> tables) {
    static final int RSDP_SIZE = 36;
    static final int FACS_SIZE = 64;

    /** A table and its guest-physical address. */
    public record Placed(long address, SystemDescriptionTable table) {}

    public AcpiTables {
        rsdp = rsdp.clone();
        tables = Collections.unmodifiableMap(new LinkedHashMap<>(tables));
    }

    @Override
    public byte[] rsdp() {
        return rsdp.clone();
    }

    /** Builds all tables for placement starting at {@code base} (16-byte aligned; the RSDP goes first). */
    public static AcpiTables generate(AcpiConfig config, long base) {
        if (base % 16 != 0) throw new IllegalArgumentException("the RSDP must be 16-byte aligned");
        long next = align(base + RSDP_SIZE, 64);
        long facsAddr = next;
        next += FACS_SIZE;
        Map<String, Placed> placed = new LinkedHashMap<>();
        placed.put("FACS", new Placed(facsAddr, facs()));

        SystemDescriptionTable dsdt = Dsdt.build(config);
        long dsdtAddr = next;
        placed.put("DSDT", new Placed(dsdtAddr, dsdt));
        next = align(next + dsdt.length(), 16);

        List<Long> pointed = new ArrayList<>();
        for (SystemDescriptionTable t :
                List.of(Fadt.build(facsAddr, dsdtAddr, config.reset()), Madt.build(config.cpuCount()))) {
            placed.put(t.signature(), new Placed(next, t));
            pointed.add(next);
            next = align(next + t.length(), 16);
        }
        long rsdtAddr = next;
        SystemDescriptionTable rsdt = root("RSDT", 1, pointed, 4);
        placed.put("RSDT", new Placed(rsdtAddr, rsdt));
        next = align(next + rsdt.length(), 16);
        long xsdtAddr = next;
        SystemDescriptionTable xsdt = root("XSDT", 1, pointed, 8);
        placed.put("XSDT", new Placed(xsdtAddr, xsdt));
        next += xsdt.length();
        if (next > BootLayout.ACPI_END) {
            throw new IllegalStateException(String.format("ACPI tables end at 0x%x, beyond the BIOS area", next));
        }
        return new AcpiTables(base, rsdp(rsdtAddr, xsdtAddr), placed);
    }

    /** Generates the tables at {@link BootLayout#ACPI_BASE} and writes them into guest memory. */
    public static AcpiTables install(GuestMemory memory, AcpiConfig config) {
        AcpiTables t = generate(config, BootLayout.ACPI_BASE);
        memory.slice(BootLayout.ACPI_BASE, BootLayout.ACPI_END - BootLayout.ACPI_BASE)
                .fill((byte) 0);
        memory.write(t.rsdpAddress(), t.rsdp);
        t.tables.values().forEach(p -> memory.write(p.address(), p.table().bytes()));
        return t;
    }

    public SystemDescriptionTable table(String signature) {
        Placed p = tables.get(signature);
        if (p == null) throw new IllegalArgumentException("no " + signature + " table");
        return p.table();
    }

    /** RSDP revision 2: checksum over the first 20 bytes, extended checksum over all 36. */
    static byte[] rsdp(long rsdt, long xsdt) {
        ByteSink s = new ByteSink()
                .ascii("RSD PTR ", 8, ' ')
                .u8(0)
                .ascii(SystemDescriptionTable.OEM_ID, 6, ' ')
                .u8(2)
                .u32(rsdt)
                .u32(RSDP_SIZE)
                .u64(xsdt)
                .u8(0)
                .u8(0)
                .u8(0)
                .u8(0);
        byte[] b = s.toByteArray();
        b[8] = (byte) ByteSink.checksum(b, 0, 20);
        b[32] = (byte) ByteSink.checksum(b, 0, RSDP_SIZE);
        return b;
    }

    /** FACS: no hardware signature, no waking vector, no global lock; version 2. It has no checksum. */
    static SystemDescriptionTable facs() {
        ByteSink s = new ByteSink()
                .ascii("FACS", 4, ' ')
                .u32(FACS_SIZE)
                .u32(0)
                .u32(0)
                .u32(0)
                .u32(0)
                .u64(0)
                .u8(2);
        while (s.size() < FACS_SIZE) s.u8(0);
        return new SystemDescriptionTable("FACS", s.toByteArray());
    }

    /** RSDT (4-byte entries) or XSDT (8-byte entries) pointing at FADT and MADT. */
    static SystemDescriptionTable root(String signature, int revision, List<Long> entries, int entrySize) {
        ByteSink t = SystemDescriptionTable.begin(signature, revision);
        for (long e : entries) {
            if (entrySize == 4) t.u32(e);
            else t.u64(e);
        }
        return SystemDescriptionTable.finish(signature, t);
    }

    private static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
