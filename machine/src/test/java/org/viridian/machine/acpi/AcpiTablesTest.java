package org.viridian.machine.acpi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.partition.memory.GuestMemory;

class AcpiTablesTest {
    private static final HexFormat HEX = HexFormat.of();

    private static int sum(byte[] b, int from, int to) {
        int s = 0;
        for (int i = from; i < to; i++) s += b[i];
        return s & 0xFF;
    }

    @Test
    void pkgLengthUsesOneToFourBytesCountingItself() {
        assertThat(Aml.withPkgLength(new byte[0x3E])[0]).isEqualTo((byte) 0x3F);
        byte[] two = Aml.withPkgLength(new byte[0x3F]); // total 0x41
        assertThat(HEX.formatHex(two, 0, 2)).isEqualTo("4104");
        byte[] three = Aml.withPkgLength(new byte[0x1000]); // total 0x1003
        assertThat(HEX.formatHex(three, 0, 3)).isEqualTo("830001");
        assertThat(three).hasSize(0x1003);
    }

    @Test
    void encodesNamesIntegersStringsAndEisaIds() {
        assertThat(HEX.formatHex(Aml.nameString("_S5"))).isEqualTo("5f53355f");
        assertThat(HEX.formatHex(Aml.nameString("\\_SB.COM1"))).isEqualTo("5c2e5f53425f434f4d31");
        assertThat(HEX.formatHex(Aml.nameString("^^A.B.C"))).isEqualTo("5e5e2f03415f5f5f425f5f5f435f5f5f");
        assertThatThrownBy(() -> Aml.nameString("lower")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Aml.nameString("1ABC")).isInstanceOf(IllegalArgumentException.class);
        assertThat(HEX.formatHex(Aml.integer(0).toBytes())).isEqualTo("00");
        assertThat(HEX.formatHex(Aml.integer(1).toBytes())).isEqualTo("01");
        assertThat(HEX.formatHex(Aml.integer(0x3F8).toBytes())).isEqualTo("0bf803");
        assertThat(HEX.formatHex(Aml.integer(0xFEC00000L).toBytes())).isEqualTo("0c0000c0fe");
        assertThat(HEX.formatHex(Aml.integer(0x1_0000_0000L).toBytes())).isEqualTo("0e0000000001000000");
        assertThat(HEX.formatHex(Aml.string("AB").toBytes())).isEqualTo("0d414200");
        assertThat(HEX.formatHex(Aml.eisaId("PNP0501").toBytes())).isEqualTo("0c41d00501");
        assertThat(HEX.formatHex(
                        Aml.name("_S5", Aml.pkg(Aml.integer(0), Aml.integer(0))).toBytes()))
                .isEqualTo("085f53355f1204020000");
    }

    @Test
    void resourceTemplateMatchesAcpiEncoding() {
        byte[] crs = new ResourceTemplate().io(0x3F8, 8).irqNoFlags(4).build().toBytes();
        // Buffer(PkgLength, BufferSize=13) { IO, IRQNoFlags, EndTag }
        assertThat(HEX.formatHex(crs)).isEqualTo("11100a0d" + "4701f803f8030108" + "221000" + "7900");
    }

    @Test
    void everyTableChecksumsAndPointsAtTheOthers() {
        AcpiTables t = AcpiTables.generate(AcpiConfig.of(3), 0xE0000);
        byte[] rsdp = t.rsdp();
        assertThat(new String(rsdp, 0, 8)).isEqualTo("RSD PTR ");
        assertThat(sum(rsdp, 0, 20)).isZero();
        assertThat(sum(rsdp, 0, 36)).isZero();
        ByteBuffer r = ByteBuffer.wrap(rsdp).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(rsdp[15]).isEqualTo((byte) 2);
        assertThat(Integer.toUnsignedLong(r.getInt(16)))
                .isEqualTo(t.tables().get("RSDT").address());
        assertThat(r.getLong(24)).isEqualTo(t.tables().get("XSDT").address());

        for (var e : t.tables().entrySet()) {
            byte[] b = e.getValue().table().bytes();
            assertThat(new String(b, 0, 4)).isEqualTo(e.getKey());
            assertThat(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(4))
                    .isEqualTo(b.length);
            if (!e.getKey().equals("FACS"))
                assertThat(sum(b, 0, b.length)).as(e.getKey()).isZero();
        }
        assertThat(t.tables().get("FACS").address() % 64).isZero();
        ByteBuffer xsdt = ByteBuffer.wrap(t.table("XSDT").bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(List.of(xsdt.getLong(36), xsdt.getLong(44)))
                .containsExactly(
                        t.tables().get("FACP").address(), t.tables().get("APIC").address());
        ByteBuffer fadt = ByteBuffer.wrap(t.table("FACP").bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(fadt.capacity()).isEqualTo(276);
        assertThat(fadt.getLong(140)).isEqualTo(t.tables().get("DSDT").address());
        assertThat(fadt.getLong(132)).isEqualTo(t.tables().get("FACS").address());
        assertThat(fadt.getInt(112) & (1 << 20)).as("not hardware-reduced").isZero();
        // IAPC_BOOT_ARCH: legacy devices, but no i8042 for an OS to probe (Fadt.IAPC_BOOT_ARCH says why).
        assertThat(fadt.getShort(109) & 1).as("LEGACY_DEVICES").isOne();
        assertThat(fadt.getShort(109) & 2).as("8042").isZero();
    }

    @Test
    void installWritesTablesIntoTheBiosArea() {
        try (GuestMemory memory = GuestMemory.allocate(4 << 20)) {
            AcpiTables t = AcpiTables.install(memory, AcpiConfig.of(1));
            assertThat(t.rsdpAddress()).isEqualTo(0xE0000);
            assertThat(memory.read(0xE0000, 36)).isEqualTo(t.rsdp());
            var madt = t.tables().get("APIC");
            assertThat(memory.read(madt.address(), madt.table().length()))
                    .isEqualTo(madt.table().bytes());
            assertThat(t.tables().values())
                    .allSatisfy(
                            p -> assertThat(p.address() + p.table().length()).isLessThanOrEqualTo(0x100000));
        }
    }

    @Test
    void rejectsImpossibleConfigs() {
        assertThatThrownBy(() -> AcpiConfig.of(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AcpiConfig.of(255)).isInstanceOf(IllegalArgumentException.class);
        assertThat(AcpiTables.generate(AcpiConfig.of(254), 0xE0000)
                        .table("APIC")
                        .length())
                .isEqualTo(44 + 254 * 8 + 12 + 10 + 6);
    }
}
