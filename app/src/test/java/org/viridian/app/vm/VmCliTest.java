package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.machine.host.HostCheck;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.SwitchHost;

/** `viridian vm …` against a real `viridian serve` process (its own JVM, its own state directory). */
class VmCliTest {
    private static Process serve;
    private static Cli cli;
    private static Path state;

    @BeforeAll
    static void startService() throws Exception {
        state = Files.createTempDirectory("viridian-cli");
        serve = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "org.viridian.app.Main",
                        "serve",
                        "--state-dir",
                        state.toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--shared-host")
                // stderr to a file, not this JVM's: a service that outlived its test would otherwise hold the test run
                // open
                .redirectError(ProcessBuilder.Redirect.appendTo(new java.io.File("target/service-stderr.log")))
                .start();
        String line = new BufferedReader(new InputStreamReader(serve.getInputStream())).readLine();
        assertThat(line).startsWith("viridian: serving on http://127.0.0.1:");
        cli = new Cli(line.replaceAll("^viridian: serving on (\\S+).*$", "$1"));
    }

    @AfterAll
    static void stopService() throws Exception {
        serve.destroy(); // SIGTERM: the service shuts down cleanly
        boolean exited = serve.waitFor(20, TimeUnit.SECONDS);
        if (!exited) serve.destroyForcibly(); // it shares this JVM's stderr: a survivor would hold the test run open
        assertThat(exited).isTrue();
        assertThat(Files.exists(state.resolve("service.json"))).isFalse();
    }

    @Test
    void createListShowSetDelete() throws Exception {
        Cli.Result r = cli.run(
                "vm", "create", "alpha", "--cpus", "2", "--memory", "128M", "--nic", "nat", "--notes", "from the cli");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("created VM 'alpha' (").endsWith("), off\n");
        assertThat(cli.run("vm", "create", "beta", "--guest", "hello.elf", "--cmdline", "hi")
                        .rc())
                .isZero();

        String table = cli.run("vm", "list").out();
        assertThat(table.lines().findFirst().orElseThrow())
                .matches("NAME\\s+STATE\\s+CPUS\\s+MEMORY\\s+BOOT\\s+IPV4\\s+ID");
        assertThat(table)
                .containsPattern("alpha\\s+off\\s+2\\s+128M\\s+built-in guest smp.elf\\s+-\\s")
                .containsPattern("beta\\s+off\\s+1\\s+64M\\s+built-in guest hello.elf");
        JsonNode list =
                new ObjectMapper().readTree(cli.run("vm", "list", "--json").out());
        assertThat(list.findValuesAsText("name")).contains("alpha", "beta");

        String show = cli.run("vm", "show", "alpha").out();
        assertThat(show)
                .contains("processors:   2")
                .contains("memory:       128M")
                .contains("-> nat")
                .contains("notes:        from the cli");
        assertThat(new ObjectMapper()
                        .readTree(cli.run("vm", "show", "alpha", "--json").out())
                        .get("cpus")
                        .asInt())
                .isEqualTo(2);

        Cli.Result set = cli.run("vm", "set", "alpha", "--memory", "1G", "--name", "gamma");
        assertThat(set.rc()).as(set.err()).isZero();
        assertThat(set.out()).contains("name:         gamma").contains("memory:       1G");
        Path disk = Files.createTempFile("disk", ".vhdx");
        assertThat(cli.run("vm", "disk", "attach", "gamma", disk.toString(), "--read-only")
                        .out())
                .contains("disk 0:")
                .contains("(read-only)");
        assertThat(cli.run("vm", "disk", "detach", "gamma", "0").out()).doesNotContain("disk 0:");
        assertThat(cli.run("vm", "delete", "gamma").out()).contains("deleted VM 'gamma'");
        assertThat(cli.run("vm", "list").out()).doesNotContain("gamma");
    }

    @Test
    void switchCreateListShowDeleteAndVmNicAddSetRemove() throws Exception {
        String sw = "t-cli" + java.util.UUID.randomUUID().toString().substring(0, 6);
        boolean canMake = SwitchHost.unavailable().isEmpty();
        try {
            Cli.Result created = cli.run("switch", "create", sw, "--type", "private", "--notes", "lab");
            if (!canMake) {
                assertThat(created.rc()).isEqualTo(1);
                assertThat(created.err()).contains("host_cannot_make_switches");
                return;
            }
            assertThat(created.rc()).as(created.err()).isZero();
            assertThat(created.out()).isEqualTo("created switch '" + sw + "' (private), applied\n");
            assertThat(Files.exists(Path.of("/sys/class/net", Names.bridge(sw))))
                    .isTrue();
            String table = cli.run("switch", "list").out();
            assertThat(table.lines().findFirst().orElseThrow())
                    .matches("NAME\\s+TYPE\\s+HOST ADDRESS\\s+PORTS\\s+LEASES\\s+STATE");
            assertThat(table).containsPattern(sw + "\\s+private\\s+-\\s+0\\s+0\\s+applied");
            assertThat(cli.run("switch", "create", sw, "--type", "private").err())
                    .contains("a switch named '" + sw + "' already exists (409 name_taken)");
            assertThat(cli.run("switch", "create", "t-bad", "--type", "internal")
                            .err())
                    .contains("needs a hostAddress");

            cli.run("vm", "create", sw + "-vm");
            Cli.Result nic = cli.run(
                    "vm",
                    "nic",
                    "add",
                    sw + "-vm",
                    "--name",
                    "lan",
                    "--switch",
                    sw,
                    "--vlan",
                    "7",
                    "--max-bandwidth",
                    "100M",
                    "--spoof-guard");
            assertThat(nic.rc()).as(nic.err()).isZero();
            assertThat(nic.out())
                    .containsPattern("network:      lan 00:15:5D:\\S+ -> " + sw
                            + " \\(vlan 7, spoof guard, max 100000000 bit/s\\)");
            Cli.Result json = cli.run("switch", "show", sw, "--json");
            assertThat(new ObjectMapper().readTree(json.out()).at("/ports/0/vm").asText())
                    .as(json.err() + json.out())
                    .isEqualTo(sw + "-vm");
            assertThat(cli.run("switch", "show", sw).out()).contains("port:         " + sw + "-vm/lan");
            assertThat(cli.run("switch", "delete", sw).err()).contains("switch_in_use");
            Cli.Result set = cli.run("vm", "nic", "set", sw + "-vm", "--vlan", "0", "--no-spoof-guard");
            assertThat(set.rc()).as(set.err()).isZero();
            assertThat(set.out()).contains("-> " + sw + " (max 100000000 bit/s)");
            assertThat(cli.run("vm", "nic", "remove", sw + "-vm", "--name", "nosuch")
                            .err())
                    .contains("no network adapter named 'nosuch'");
            assertThat(cli.run("vm", "nic", "remove", sw + "-vm", "--name", "lan")
                            .out())
                    .startsWith("changed in the VM's settings (it is off; they apply when it starts)\n")
                    .doesNotContain("network:");
            cli.run("vm", "delete", sw + "-vm");

            assertThat(cli.run("switch", "delete", sw).out()).isEqualTo("deleted switch '" + sw + "'\n");
            assertThat(Files.exists(Path.of("/sys/class/net", Names.bridge(sw))))
                    .isFalse();
            assertThat(cli.run("switch", "list").out()).doesNotContain(sw);
        } finally {
            SwitchHost.system().remove(sw);
        }
    }

    @Test
    void mistakesGetOneClearLine() {
        Cli.Result unknown = cli.run("vm", "show", "nosuch");
        assertThat(unknown.rc()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("viridian: no VM named or with id 'nosuch' (404 not_found)\n");
        cli.run("vm", "create", "dup");
        assertThat(cli.run("vm", "create", "dup").err()).contains("a VM named 'dup' already exists (409 name_taken)");
        assertThat(cli.run("vm", "create", "big", "--memory", "3T").err()).contains("memory must be between 2M and 1T");
        Cli.Result badSize = cli.run("vm", "create", "x", "--memory", "lots");
        assertThat(badSize.rc()).isEqualTo(2);
        assertThat(badSize.err()).contains("not a size");
        assertThat(cli.run("vm", "pause", "dup").err()).contains("cannot pause VM 'dup': it is off");
        Cli.Result noService = new Cli("http://127.0.0.1:1/").run("vm", "list");
        assertThat(noService.rc()).isEqualTo(1);
        assertThat(noService.err()).contains("no Viridian service at http://127.0.0.1:1/");
    }

    @Test
    void startingWithoutKvmSaysWhy() {
        assumeFalse(HostCheck.run().canRunVms(), "this host can run VMs (the nested test covers starting them)");
        cli.run("vm", "create", "nokvm");
        Cli.Result r = cli.run("vm", "start", "nokvm");
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err())
                .contains("cannot start VM 'nokvm': this host cannot run VMs")
                .contains("host_cannot_run_vms");
        assertThat(cli.run("vm", "show", "nokvm").out()).contains("state:        off");
    }

    @Test
    void shellCompletionCoversTheVmCommands() {
        Cli.Result r = cli.run("generate-completion");
        assertThat(r.rc()).isZero();
        assertThat(r.out())
                .contains("viridian Bash Completion")
                .contains("vm")
                .contains("console")
                .contains("--json");
    }
}
