package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
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
    void resourceControlsAreSetShownAndChangedWhileRunning() {
        cli.run("vm", "create", "limited", "--memory", "128M");
        Cli.Result set = cli.run(
                "vm",
                "set",
                "limited",
                "--cpu-limit",
                "50",
                "--cpu-reserve",
                "10",
                "--cpu-weight",
                "300",
                "--processor-affinity",
                "0",
                "--memory-limit",
                "1G");
        assertThat(set.rc()).as(set.err()).isZero();
        assertThat(set.out())
                .contains("resources:    affinity 0, limit 50 %, reserve 10 %, weight 300, memory limit 1G\n");
        var vm = service.api.get("/api/v1/vms/limited").json();
        assertThat(vm.at("/resources/cpuLimit").asInt()).isEqualTo(50);
        assertThat(vm.at("/resources/memoryLimitBytes").asLong()).isEqualTo(1L << 30);

        Cli.Result bad = cli.run("vm", "set", "limited", "--cpu-limit", "0");
        assertThat(bad.rc()).isNotZero();
        assertThat(bad.err()).contains("cpuLimit is a percentage between 1 and 100, not 0");
        Cli.Result low = cli.run("vm", "set", "limited", "--memory-limit", "128M");
        assertThat(low.err()).contains("memoryLimit 128 MiB is below what the VM needs");

        assertThat(cli.run("vm", "start", "limited").rc()).isZero();
        Cli.Result running = cli.run("vm", "set", "limited", "--cpu-limit", "20", "--memory-limit", "none");
        assertThat(running.rc()).as(running.err()).isZero();
        assertThat(running.out())
                .contains("limit 20 %")
                .contains("memory limit none")
                .contains("controls:     not applied: resource controls apply to VMs in worker processes");
        assertThat(cli.run("vm", "stop", "limited").rc()).isZero();
    }

    /** `vm set --vnc`: off by default, then on loopback with a password, listening on its port while the VM runs. */
    @Test
    void diskLimitsAreSetOnAddAndChangedWhileRunning() throws Exception {
        cli.run("vm", "create", "qos");
        java.nio.file.Path img = java.nio.file.Files.createTempFile(service.stateDir, "qos", ".vhdx");
        Cli.Result added =
                cli.run("vm", "disk", "add", "qos", img.toString(), "--max-iops", "500", "--max-bandwidth", "50M");
        assertThat(added.rc()).as(added.err()).isZero();
        assertThat(added.out()).contains(img + ", limits: IOPS 500, bandwidth 50M/s\n");
        var disk = service.api.get("/api/v1/vms/qos").json().at("/disks/0");
        assertThat(disk.get("maxIops").asLong()).isEqualTo(500);
        assertThat(disk.get("maxBytesPerSecond").asLong()).isEqualTo(50L << 20);

        assertThat(cli.run("vm", "disk", "set", "qos", "0", "--max-bandwidth", "none")
                        .out())
                .contains(img + ", limits: IOPS 500, bandwidth none\n");
        Cli.Result notASize = cli.run("vm", "disk", "set", "qos", "0", "--max-bandwidth", "fast");
        assertThat(notASize.rc()).isNotZero();
        assertThat(notASize.err()).contains("not a size (e.g. 512M, 2G): 'fast'");
        Cli.Result negative = cli.run("vm", "disk", "set", "qos", "0", "--max-iops", "-5");
        assertThat(negative.rc()).isNotZero();
        assertThat(negative.err()).contains("maxIops must be between 0 (no limit) and 100000000");
        Cli.Result nothing = cli.run("vm", "disk", "set", "qos", "0");
        assertThat(nothing.rc()).isNotZero();
        assertThat(nothing.err()).contains("give --max-iops and/or --max-bandwidth");

        assertThat(cli.run("vm", "start", "qos").rc()).isZero();
        Cli.Result live = cli.run("vm", "disk", "set", "qos", "0", "--max-iops", "0", "--max-bandwidth", "1M");
        assertThat(live.rc()).as(live.err()).isZero();
        assertThat(live.out()).contains(img + ", limits: IOPS none, bandwidth 1M/s\n");
        var m = service.api.get("/api/v1/vms/qos/metrics").json();
        assertThat(m.at("/disks/0/maxIops").asLong()).isZero();
        assertThat(m.at("/disks/0/maxBytesPerSecond").asLong()).isEqualTo(1L << 20);
        assertThat(cli.run("vm", "metrics", "qos").out())
                .containsPattern("disk 0 .*, limits: IOPS none, bandwidth 1M/s");
        cli.run("vm", "stop", "qos");
    }

    @Test
    void vncIsSetFromTheCommandLine() throws Exception {
        assertThat(cli.run("vm", "create", "vncvm").rc()).isZero();
        Cli.Result on = cli.run("vm", "set", "vncvm", "--vnc", "--vnc-password", "pw");
        assertThat(on.rc()).as(on.err()).isZero();
        assertThat(on.out()).contains("127.0.0.1:(listens while the VM runs), with a password");
        assertThat(cli.run("vm", "start", "vncvm").rc()).isZero();
        Cli.Result port = cli.run("vm", "set", "vncvm", "--vnc-port", "0");
        assertThat(port.out()).containsPattern("127\\.0\\.0\\.1:59\\d\\d, with a password");
        Cli.Result tooLong = cli.run("vm", "set", "vncvm", "--vnc-password", "123456789");
        assertThat(tooLong.rc()).isNotZero();
        assertThat(tooLong.err()).contains("at most 8").doesNotContain("123456789");
        Cli.Result off = cli.run("vm", "set", "vncvm", "--no-vnc");
        assertThat(off.out()).containsPattern("VNC console: +off");
        assertThat(cli.run("vm", "stop", "vncvm").rc()).isZero();
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

        // The live console: stdout gets the output until the VM stops. Its keyboard is an empty stream: the console's
        // reader must not take this JVM's own stdin, which carries the test runner's commands (a stolen one kept the
        // forked JVM from exiting for 30 s).
        PrintStream saved = System.out;
        InputStream savedIn = System.in;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        System.setIn(InputStream.nullInputStream());
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
            System.setIn(savedIn);
        }
        assertThat(captured.toString()).contains("booting VM demo").contains("cpus online: 2");
        assertThat(cli.run("vm", "show", "demo").out())
                .contains("state:        off")
                .contains("last exit:    shut down by the host");
    }

    @Test
    void metricsShowWhatARunningVmUsed() throws Exception {
        cli.run("vm", "create", "busy", "--cpus", "2");
        Cli.Result off = cli.run("vm", "metrics", "busy");
        assertThat(off.rc()).isNotZero();
        assertThat(off.err()).contains("only a running VM has metrics");
        assertThat(cli.run("vm", "start", "busy").rc()).isZero();
        Thread.sleep(300);
        Cli.Result m = cli.run("vm", "metrics", "busy");
        assertThat(m.rc()).as(m.err()).isZero();
        assertThat(m.out())
                .containsPattern("vp0 +cpu [0-9.]+ s, exits [0-9]+ \\(io [0-9]+, x86_wrmsr [0-9]+\\)")
                .containsPattern("vp1 +cpu [0-9.]+ s, exits [0-9]+ \\(io [0-9]+\\)")
                .containsPattern("hypercalls +0x005c [0-9]+, 0x005d [0-9]+")
                .containsPattern("memory +[0-9.]+ [KM]iB resident of 64 MiB");
        assertThat(cli.run("vm", "metrics", "busy", "--json").out()).contains("\"cpuNanos\"");
        cli.run("vm", "stop", "busy");
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

        cli.run("vm", "create", "silent", "--guest", "smp.elf");
        assertThat(cli.run("vm", "start", "silent").rc()).isZero();
        assertThat(cli.run("vm", "show", "silent").out())
                .contains("heartbeat:    no contact\n")
                .contains("kvp:          no answer from the guest yet");
        String list = cli.run("vm", "list").out();
        assertThat(list.lines().findFirst().orElseThrow()).containsPattern("BOOT\\s+IPV4\\s+ID");
        assertThat(list)
                .containsPattern("ics\\s+running\\s.*smp.elf\\s+10.0.0.5,192.168.7.9\\s")
                .containsPattern("silent\\s+running\\s.*smp.elf\\s+-\\s");
        cli.run("vm", "stop", "ics");
        cli.run("vm", "stop", "silent");
    }

    @Test
    void nicAddSetAndRemoveReachARunningVmAndARefusedChangeSaysWhy() {
        cli.run("vm", "create", "hot", "--guest", "smp.elf");
        assertThat(cli.run("vm", "start", "hot").rc()).isZero();
        Cli.Result added =
                cli.run("vm", "nic", "add", "hot", "--name", "lan", "--switch", "nat", "--mac", "00-15-5d-00-00-07");
        assertThat(added.rc()).as(added.err()).isZero();
        assertThat(added.out())
                .startsWith("changed on the running VM and in its settings\n")
                .contains("network:      lan 00:15:5D:00:00:07 -> nat");
        assertThat(cli.run("vm", "nic", "set", "hot", "--vlan", "5").out())
                .startsWith("changed on the running VM")
                .contains("-> nat (vlan 5)");
        Cli.Result refused = cli.run("vm", "nic", "set", "hot", "--mac", "00:15:5D:00:00:08");
        assertThat(refused.rc()).isEqualTo(1);
        assertThat(refused.err()).contains("MAC address").contains("hot_plug_failed");
        assertThat(cli.run("vm", "nic", "remove", "hot").out())
                .startsWith("changed on the running VM")
                .doesNotContain("network:");
        assertThat(cli.run("vm", "console", "hot", "--print").out())
                .contains("netvsc: adapter added: lan 00:15:5D:00:00:07 on nat")
                .contains("netvsc: adapter set: lan on nat vlan 5")
                .contains("netvsc: adapter removed: lan")
                .doesNotContain("00:15:5D:00:00:08");
        cli.run("vm", "stop", "hot");
    }
}
