package org.viridian.app.nested;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Viridian on a real KVM: the shaded viridian.jar runs inside a nested Linux host (see {@link NestedKvmHost}) and boots
 * small Multiboot guests assembled here. Each guest is first run under QEMU's own Multiboot loader, the independent
 * reference, so what Viridian does is compared with what QEMU does with the same kernel.
 */
class NestedKvmIT {
    private static final String SERIAL_PRINT = """
                mov $0x3F8, %dx
            1:  lodsb
                test %al, %al
                jz 2f
                out %al, %dx
                jmp 1b
            2:
            """;
    private static final String HEADER = """
                .text
                .code32
                .align 4
                .long 0x1BADB002, 0x0, -(0x1BADB002)
                .globl _start
            _start:
            """;

    /** Prints a greeting and the Multiboot command line (EBX → info.cmdline), then isa-debug-exit 0x10. */
    static final String HELLO = HEADER + """
                mov %ebx, %edi
                mov $greeting, %esi
            """ + SERIAL_PRINT + """
                mov 16(%edi), %esi
            """ + SERIAL_PRINT.replace("1:", "3:").replace("1b", "3b").replace("2:", "4:").replace("2f", "4f") + """
                mov $newline, %esi
            """ + SERIAL_PRINT.replace("1:", "5:").replace("1b", "5b").replace("2:", "6:").replace("2f", "6f") + """
                mov $0xF4, %dx
                mov $0x10, %eax
                out %eax, %dx
                hlt
            greeting: .asciz "Hello from a Viridian test guest, cmdline: "
            newline: .asciz "\\n"
            """;

    /** ACPI S5: SLP_EN with SLP_TYP 0 on PM1a_CNT (0x604), as the generated FADT/DSDT describe. */
    static final String POWEROFF = HEADER + """
                mov $msg, %esi
            """ + SERIAL_PRINT + """
                mov $0x604, %dx
                mov $0x2000, %ax
                out %ax, %dx
                hlt
            msg: .asciz "powering off\\n"
            """;

    /** Loads an empty IDT and executes ud2: #UD → #DF → triple fault. */
    static final String TRIPLE_FAULT = HEADER + """
                mov $msg, %esi
            """ + SERIAL_PRINT + """
                lidt idtr
                ud2
            idtr: .word 0
                  .long 0
            msg: .asciz "about to triple fault\\n"
            """;

    private static NestedKvmHost.Run run;

    @BeforeAll
    static void bootNestedHost() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn verify)");
        Map<String, byte[]> guests = Map.of("hello.elf", Guests.assemble(HELLO), "poweroff.elf", Guests.assemble(POWEROFF),
                "fault.elf", Guests.assemble(TRIPLE_FAULT));
        run = NestedKvmHost.run(jar, guests, List.of(
                new NestedKvmHost.Command("hostcheck", "viridian host check"),
                new NestedKvmHost.Command("hello", "viridian run --kernel hello.elf --memory 64M --cmdline 'to you'"),
                new NestedKvmHost.Command("poweroff", "viridian run --kernel poweroff.elf --memory 32M"),
                new NestedKvmHost.Command("fault", "viridian run --kernel fault.elf --memory 32M")),
                Duration.ofMinutes(8));
    }

    @Test
    void theNestedHostCanRunVms() {
        NestedKvmHost.Outcome o = run.get("hostcheck");
        assertThat(o.output()).contains("/dev/kvm").contains("This host can run Viridian VMs.");
        assertThat(o.rc()).isZero();
    }

    @Test
    void aMultibootGuestPrintsItsCommandLineAndExitsLikeUnderQemu() throws IOException, InterruptedException {
        Guests.QemuRun reference = Guests.underQemu(Guests.assemble(HELLO), "to you");
        NestedKvmHost.Outcome o = run.get("hello");
        // Both pass the kernel's path as the first word, then the command line.
        assertThat(reference.console()).containsPattern("Hello from a Viridian test guest, cmdline: \\S+\\.elf to you");
        assertThat(o.output()).contains("Hello from a Viridian test guest, cmdline: hello.elf to you");
        assertThat(o.rc()).isEqualTo(reference.exitStatus()).isEqualTo(33);
    }

    @Test
    void acpiPowerOffEndsTheVmWithStatusZero() {
        NestedKvmHost.Outcome o = run.get("poweroff");
        assertThat(o.output()).contains("powering off").contains("PoweredOff");
        assertThat(o.rc()).isZero();
    }

    @Test
    void aTripleFaultCrashesTheVmWithAReportAndTheHostCarriesOn() {
        NestedKvmHost.Outcome o = run.get("fault");
        assertThat(o.output()).contains("about to triple fault").contains("VM crashed on virtual processor 0")
                .contains("triple fault").contains("rip=").contains("cr0=");
        assertThat(o.rc()).isEqualTo(125);
        // The next VM in the same host still runs: commands after the crash completed.
        assertThat(run.outcomes()).containsKeys("hostcheck", "hello", "poweroff", "fault");
    }
}
