package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.TestService;

/**
 * The power and console commands against a service whose engine is scripted (this machine has no KVM; the nested-KVM
 * test runs the same commands on a real one).
 */
class VmCliScriptedTest {
    private static TestService service;
    private static Cli cli;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        cli = new Cli(service.service.url());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void startPauseResumeConsoleStop() throws Exception {
        cli.run("vm", "create", "demo", "--cpus", "2");
        Cli.Result started = cli.run("vm", "start", "demo");
        assertThat(started.rc()).as(started.err()).isZero();
        assertThat(started.out()).isEqualTo("start succeeded: VM 'demo' is running\n");
        assertThat(cli.run("vm", "pause", "demo").out()).isEqualTo("VM 'demo' is paused\n");
        assertThat(cli.run("vm", "resume", "demo").out()).isEqualTo("VM 'demo' is running\n");
        assertThat(cli.run("vm", "console", "demo", "--print").out()).contains("cpus online: 2");

        // The live console: stdout gets the output until the VM stops.
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            Thread stopper = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException ignored) {
                    return;
                }
                cli.run("vm", "stop", "demo", "--graceful");
            });
            Cli.Result console = cli.run("vm", "console", "demo", "--timeout", "30");
            stopper.join();
            assertThat(console.rc()).isZero();
        } finally {
            System.setOut(saved);
        }
        assertThat(captured.toString()).contains("booting VM demo").contains("cpus online: 2");
        assertThat(cli.run("vm", "show", "demo").out())
                .contains("state:        off")
                .contains("last exit:    shut down by the host");
    }

    @Test
    void showTellsTheGuestsHeartbeatAndWhatItSaidThroughKvp() {
        cli.run("vm", "create", "ics", "--guest", "smp.elf", "--cmdline", "ic-heartbeat ic-kvp");
        assertThat(cli.run("vm", "show", "ics").out()).doesNotContain("heartbeat:");
        assertThat(cli.run("vm", "start", "ics").rc()).isZero();
        String shown = cli.run("vm", "show", "ics").out();
        assertThat(shown)
                .containsPattern("heartbeat: +ok \\(last [0-9]+ s ago\\)")
                .contains("guest os:     Scripted GNU/Linux 6.1.0")
                .contains("guest name:   scripted.example")
                .contains("guest ipv4:   10.0.0.5, 192.168.7.9");
        cli.run("vm", "stop", "ics");

        cli.run("vm", "create", "silent", "--guest", "smp.elf");
        assertThat(cli.run("vm", "start", "silent").rc()).isZero();
        assertThat(cli.run("vm", "show", "silent").out())
                .contains("heartbeat:    no contact\n")
                .contains("kvp:          no answer from the guest yet");
        cli.run("vm", "stop", "silent");
    }
}
