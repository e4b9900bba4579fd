package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;

/**
 * `viridian vm …` across a SIGKILL of the service, with each VM in its own worker process (the scripted engine: this
 * machine has no KVM; NestedManagementIT does the same on a real one): the next service lists the VM running, its
 * console's scrollback is there, and it stops.
 */
class VmWorkerCliTest {
    @Test
    void aVmRunsThroughAKilledServiceAndTheNextOneShowsItsConsoleAndStopsIt() throws Exception {
        Path dir = TestService.tempDir();
        ServiceProcess.Running first = ServiceProcess.Running.start(dir, "worker-scripted");
        ServiceProcess.Running second = null;
        try {
            Cli cli = new Cli(first.url());
            assertThat(cli.run("vm", "create", "ticker", "--guest", "smp.elf", "--cmdline", "ticker")
                            .rc())
                    .isZero();
            Cli.Result started = cli.run("vm", "start", "ticker");
            assertThat(started.rc()).as(started.err()).isZero();
            first.api().awaitConsole("ticker", "tick 2");
            first.kill9();
            Thread.sleep(1000);

            second = ServiceProcess.Running.start(dir, "worker-scripted");
            cli = new Cli(second.url());
            assertThat(cli.run("vm", "list").out()).containsPattern("ticker\\s+running");
            second.api().awaitConsole("ticker", "tick 15");
            assertThat(cli.run("vm", "console", "ticker", "--print").out())
                    .contains("scripted guest smp.elf booting VM ticker")
                    .contains("tick 1\r\n")
                    .contains("tick 15\r\n");
            Cli.Result stopped = cli.run("vm", "stop", "ticker");
            assertThat(stopped.rc()).as(stopped.err()).isZero();
            assertThat(cli.run("vm", "show", "ticker").out())
                    .contains("state:        off")
                    .contains("last exit:    turned off by the host");
        } finally {
            if (first.process().isAlive()) first.kill9();
            if (second != null) second.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }
}
