package org.viridian.machine.acpi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Independent validation: ACPICA's disassembler must parse every generated table without errors. */
class AcpiIaslTest {
    private static final int CPUS = 4;

    @BeforeAll
    static void iasl() throws Exception {
        Iasl.ensureInstalled();
    }

    private static AcpiTables tables() {
        AmlTerm vmbus = Aml.device(
                "VMOD",
                Aml.name("_HID", Aml.string("VMBUS")),
                Aml.name("_CID", Aml.string("VMBus")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name(
                        "_CRS",
                        new ResourceTemplate()
                                .memory32Fixed(true, 0xF800_0000L, 0x0200_0000)
                                .qwordMemory(false, false, 0xF_E000_0000L, 0x2000_0000L)
                                .build()));
        return AcpiTables.generate(AcpiConfig.of(CPUS).withDevice(vmbus), 0xE0000);
    }

    private static Iasl.Result dumpAndDisassemble(Path dir, String name, byte[] bytes) throws Exception {
        Path file = dir.resolve(name + ".dat");
        Files.write(file, bytes);
        Iasl.Result r = Iasl.disassemble(file);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output())
                .as(name)
                .doesNotContainIgnoringCase("error")
                .doesNotContainIgnoringCase("incorrect checksum")
                .doesNotContain("Invalid")
                .contains("Signature");
        return r;
    }

    @Test
    void everyTableDisassemblesCleanly(@TempDir Path dir) throws Exception {
        // iasl 2020's -d cannot read a raw RSDP (no table header); AcpiTablesTest checks it instead.
        AcpiTables t = tables();
        for (var e : t.tables().entrySet()) {
            if (e.getKey().equals("DSDT")) continue;
            dumpAndDisassemble(
                    dir, e.getKey().toLowerCase(), e.getValue().table().bytes());
        }
    }

    @Test
    void madtListsEveryProcessorAndTheIoApic(@TempDir Path dir) throws Exception {
        String out =
                dumpAndDisassemble(dir, "apic", tables().table("APIC").bytes()).output();
        assertThat(count(out, "\\[Processor Local APIC\\]")).isEqualTo(CPUS);
        for (int i = 0; i < CPUS; i++) {
            assertThat(out).containsPattern("Local Apic ID : 0" + i);
        }
        assertThat(out)
                .containsPattern("I/O Apic ID : 0" + CPUS)
                .containsPattern("Address : FEC00000")
                .containsPattern("Local Apic Address : FEE00000");
        // Only the SCI is overridden: IRQ0 stays on GSI 0, where KVM's in-kernel PIT is wired.
        assertThat(count(out, "\\[Interrupt Source Override\\]")).isEqualTo(1);
        assertThat(out)
                .containsPattern("Interrupt : 00000009")
                .containsPattern("Trigger Mode : 3")
                .doesNotContainPattern("Interrupt : 00000002");
    }

    @Test
    void fadtDescribesPmBlocksSciAndReset(@TempDir Path dir) throws Exception {
        String out =
                dumpAndDisassemble(dir, "facp", tables().table("FACP").bytes()).output();
        assertThat(out)
                .containsPattern("SCI Interrupt : 0009")
                .containsPattern("PM1A Event Block Address : 00000600")
                .containsPattern("PM1A Control Block Address : 00000604")
                .containsPattern("PM Timer Block Address : 00000608")
                .containsPattern("Reset Register Supported \\(V2\\) : 1")
                .containsPattern("8042 Present on ports 60/64 \\(V2\\) : 0")
                .containsPattern("Legacy Devices Supported \\(V2\\) : 1")
                .containsPattern("Hardware Reduced \\(V5\\) : 0")
                .containsPattern("Value to cause reset : FE");
    }

    @Test
    void dsdtDisassemblesAndRecompiles(@TempDir Path dir) throws Exception {
        String out =
                dumpAndDisassemble(dir, "dsdt", tables().table("DSDT").bytes()).output();
        assertThat(out)
                .contains("Device (COM1)")
                .contains("EisaId (\"PNP0501\")")
                .contains("Name (\\_S5, Package (0x02)")
                .containsPattern(
                        "IO \\(Decode16,\\s+0x03F8, +// Range Minimum\\s+0x03F8, +// Range Maximum\\s+0x01, +// "
                                + "Alignment\\s+0x08, +// Length")
                .containsPattern("IRQNoFlags \\(\\)\\s+\\{4\\}")
                .contains("Device (VMOD)")
                .contains("\"VMBUS\"")
                .contains("\"VMBus\"")
                .contains("Memory32Fixed (ReadWrite,")
                .contains("0xF8000000")
                .contains("QWordMemory (ResourceConsumer")
                .contains("0x0000000FE0000000");
        assertThat(count(out, "\"ACPI0007\"")).isEqualTo(CPUS);
        // Recompile the stock DSDT: iasl's compiler (not the AML) rejects Hyper-V's 5-character _HID "VMBUS".
        dumpAndDisassemble(
                dir,
                "stock",
                AcpiTables.generate(AcpiConfig.of(CPUS), 0xE0000).table("DSDT").bytes());
        Iasl.Result compiled = Iasl.compile(dir.resolve("stock.dsl"));
        assertThat(compiled.exitCode()).as(compiled.output()).isZero();
        assertThat(compiled.output()).contains("0 Errors");
    }

    /** The PCI host bridge a VM with VMBus describes (for Hyper-V's video function on bus 0). */
    @Test
    void pciRootBridgeDisassemblesAndRecompiles(@TempDir Path dir) throws Exception {
        byte[] dsdt = AcpiTables.generate(
                        AcpiConfig.of(CPUS).withDevice(org.viridian.machine.VirtualMachine.pciRootDevice()), 0xE0000)
                .table("DSDT")
                .bytes();
        String out = dumpAndDisassemble(dir, "pci", dsdt).output();
        assertThat(out)
                .contains("Device (PCI0)")
                .contains("EisaId (\"PNP0A03\")")
                .contains("WordBusNumber (ResourceProducer")
                .contains("QWordMemory (ResourceProducer")
                .contains("0x00000000F8000000");
        Iasl.Result compiled = Iasl.compile(dir.resolve("pci.dsl"));
        assertThat(compiled.exitCode()).as(compiled.output()).isZero();
        assertThat(compiled.output()).contains("0 Errors");
    }

    @Test
    void acpiexecEvaluatesTheNamespace(@TempDir Path dir) throws Exception {
        AcpiTables t = tables();
        for (String sig : List.of("DSDT", "FACP", "APIC"))
            Files.write(dir.resolve(sig + ".dat"), t.table(sig).bytes());
        Iasl.Result r = Iasl.run(
                dir,
                List.of(
                        "acpiexec",
                        "-b",
                        "evaluate \\_S5; evaluate \\_SB.COM1._STA; evaluate \\_SB.C003._UID; evaluate \\_SB.VMOD._CID",
                        "DSDT.dat",
                        "FACP.dat",
                        "APIC.dat"));
        assertThat(r.output())
                .containsPattern("\\[Package\\] Contains 2 Elements:\\s+\\[Integer\\] = 0+\\s+\\[Integer\\] = 0+\\s")
                .containsPattern("_STA returned .*\\s+\\[Integer\\] = 0+F\\s")
                .containsPattern("C003._UID returned .*\\s+\\[Integer\\] = 0+3\\s")
                .containsPattern("\\[String\\] Length 05 = \"(?i:VMBus)\"")
                .doesNotContain("AE_NOT_FOUND");
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
