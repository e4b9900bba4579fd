package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.viridian.machine.host.HostCheck;

/** The main command on a host without KVM, non-interactive: it explains why and fails (the nested test boots it). */
class UpCommandTest {
    @Test
    void withoutKvmAndWithoutATerminalItSaysWhyAndExits1() throws Exception {
        assumeFalse(HostCheck.run().canRunVms(), "this host can run VMs; NestedKvmIT covers the main command");
        Path state = Files.createTempDirectory("viridian-up");
        Cli.Result r = new Cli("unused")
                .run("up", "--state-dir", state.toString(), "--listen", "127.0.0.1:0", "--no-keep-serving");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("this host cannot run VMs");
    }
}
