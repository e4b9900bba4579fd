package org.viridian.machine.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostCheckTest {
    @Test
    void thisHostIsJudgedByWhetherDevKvmOpens() {
        HostCheck.Report r = HostCheck.run();
        boolean kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
        assertThat(r.canRunVms()).isEqualTo(kvm);
        assertThat(r.render()).contains("/dev/kvm").contains("architecture");
    }

    @Test
    void aHostWithKvmModulesButNoDeviceIsExplained(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("sys/module/kvm"));
        Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), "processor\t: 0\nflags\t\t: fpu nx lm hypervisor\n");
        Files.writeString(root.resolve("proc/misc"), "200 tun\n229 fuse\n");
        HostCheck.Report r = new HostCheck(root).check(root.resolve("dev/kvm").toString());
        assertThat(r.canRunVms()).isFalse();
        assertThat(r.render())
                .contains("registered no device")
                .contains("PVM")
                .contains("NX/DEP")
                .contains("kvm, kvm_pvm")
                .contains("cannot run");
        assertThat(new HostCheck(root).kind()).isEqualTo(HostCheck.Kind.PVM);
        // No device, no guests: the report does not describe how fast they would run.
        assertThat(r.render()).doesNotContain("guest speed");
        assertThat(HostCheck.guestSpeed(HostCheck.Kind.PVM).english())
                .contains("guest user mode (CPL3) runs natively")
                .contains("emulated")
                .contains("INT n from guest user mode arrives as #UD");
    }

    @Test
    void aNestedHardwareHostSaysGuestsRunNatively(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("sys/module/kvm_amd"));
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), "flags\t\t: fpu nx lm svm hypervisor\n");
        HostCheck hc = new HostCheck(root);
        assertThat(hc.kind()).isEqualTo(HostCheck.Kind.NESTED_HARDWARE);
        assertThat(hc.check(root.resolve("dev/kvm").toString()).render()).contains("AMD-V");
        assertThat(HostCheck.guestSpeed(hc.kind()).english()).contains("guest code runs natively in every mode");
    }

    @Test
    void aHostWithoutNxFails(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), "flags\t\t: fpu vmx lm\n");
        HostCheck.Report r = new HostCheck(root).check(root.resolve("dev/kvm").toString());
        assertThat(r.items()).anySatisfy(i -> {
            assertThat(i.name()).isEqualTo("NX/DEP");
            assertThat(i.status()).isEqualTo(HostCheck.Status.FAIL);
        });
        assertThat(r.render()).contains("Intel VT-x");
    }
}
