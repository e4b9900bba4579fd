package org.viridian.machine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.viridian.machine.host.HostCheck;
import org.viridian.partition.PartitionExit;

/**
 * The foundation's acceptance: the project's test guests (validated independently under QEMU in the guests module)
 * boot in Viridian on KVM and behave as they do under QEMU. Skipped, with the reason, on hosts without KVM.
 */
@RequiresKvm
class BootGuestsTest {
    /** Test guests report success with isa-debug-exit value 0x10: status (0x10 << 1) | 1. */
    private static final int PASS = 33;

    @Test
    void onePrintsOnTheSerialConsoleAndExitsThroughTheDebugPort() throws Exception {
        GuestRun r = GuestRun.boot("hello.elf", 1, "greeting=yes");
        assertThat(r.console())
                .contains("Hello from Viridian test guest")
                .contains("greeting=yes")
                .contains("RESULT: PASS");
        assertThat(r.exit()).isEqualTo(new PartitionExit.DebugExit(PASS));
    }

    @Test
    void fourProcessorsEachReportIn() throws Exception {
        GuestRun r = GuestRun.boot("smp.elf", 4, "");
        for (int cpu = 1; cpu < 4; cpu++) assertThat(r.console()).contains("cpu " + cpu + " online");
        assertThat(r.console())
                .contains("madt: 4 cpus")
                .contains("cpus online: 4")
                .contains("RESULT: PASS");
        assertThat(r.exit().exitStatus()).isEqualTo(PASS);
    }

    @Test
    void cpl3ComputeLoopRuns() throws Exception {
        GuestRun r = GuestRun.boot("cpl3.elf", 1, "iters=1000000");
        assertThat(r.console()).contains("cpl: 3").contains("back at CPL0").contains("RESULT: PASS");
        assertThat(r.exit().exitStatus()).isEqualTo(PASS);
    }

    @Test
    void exceptionsAndInterruptsAreDelivered() throws Exception {
        GuestRun r = GuestRun.boot("exceptions.elf", 1, "");
        assertThat(r.console())
                .contains("ok: system call from CPL3 returned 42")
                .contains("RESULT: PASS")
                .doesNotContain("FAIL");
        // PVM delivers INT n from CPL3 as #UD (the guest reports it); every other KVM must run the DPL3 gate.
        if (!HostCheck.isPvm()) assertThat(r.console()).contains("ok: int 0x80 from CPL3 returned 42");
        else
            assertThat(r.console())
                    .containsAnyOf("ok: int 0x80 from CPL3 returned 42", "int 0x80 from CPL3 arrived as #UD");
        assertThat(r.exit().exitStatus()).isEqualTo(PASS);
    }

    @Test
    void acpiPowerOffEndsTheVmCleanly() throws Exception {
        GuestRun r = GuestRun.boot("poweroff.elf", 1, "");
        assertThat(r.console()).contains("powering off");
        assertThat(r.exit()).isEqualTo(new PartitionExit.PoweredOff());
    }

    @Test
    void aTripleFaultCrashesOnlyThatVmWithAReport() throws Exception {
        GuestRun r = GuestRun.boot("fault.elf", 1, "");
        assertThat(r.console()).contains("about to triple fault");
        assertThat(r.exit()).isInstanceOf(PartitionExit.Crashed.class);
        String report = ((PartitionExit.Crashed) r.exit()).report().render();
        assertThat(report).contains("triple fault").contains("rip=").contains("cr0=");
        // KVM has reset the VP by now; the flight recorder shows what led there: the faulting WRMSR, then shutdown.
        assertThat(report)
                .contains("flight recorder")
                .containsPattern("cpl0 wrmsr 0x400000ff <- 0x0 -> #GP\\n.*" + "shutdown \\(triple fault\\)")
                .contains("out port 0x3f8 size 1");
        // The host carries on: another VM boots fine afterwards.
        assertThat(GuestRun.boot("hello.elf", 1, "").exit().exitStatus()).isEqualTo(PASS);
    }
}
