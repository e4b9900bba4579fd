package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.SwitchHost;

/**
 * A real service process killed with SIGKILL mid-work and started again on the same state directory: every VM
 * definition is back, the VMs that were running are reported off with the reason, and the host's switches are
 * brought in line with the stored ones.
 */
class RestartTest {
    @Test
    void sigkillLosesNoDefinitionAndReportsTheVmsThatWereRunning() throws Exception {
        Path dir = TestService.tempDir();
        Proc first = Proc.start(dir);
        ApiClient api = first.api;
        List<JsonNode> created = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            created.add(api.post(
                            "/api/v1/vms",
                            "{\"name\":\"vm" + i + "\",\"cpus\":" + (1 + i % 2) + ",\"memory\":\"" + (64 + i)
                                    + "M\",\"notes\":\"number " + i + "\"}")
                    .json());
        }
        api.patch("/api/v1/vms/vm3", "{\"notes\":\"changed\",\"memory\":\"1G\"}");
        api.awaitJob(api.post("/api/v1/vms/vm1/start", null));
        api.awaitJob(api.post("/api/v1/vms/vm2/start", null));
        api.post("/api/v1/vms/vm2/pause", null);
        api.delete("/api/v1/vms/vm19");
        first.kill9();

        Proc second = Proc.start(dir);
        try {
            JsonNode vms = second.api.get("/api/v1/vms").json();
            assertThat(vms.size()).isEqualTo(19);
            for (int i = 0; i < 19; i++) {
                JsonNode before = created.get(i),
                        after = second.api.get("/api/v1/vms/vm" + i).json();
                assertThat(after.get("id")).isEqualTo(before.get("id"));
                assertThat(after.get("cpus")).isEqualTo(before.get("cpus"));
                assertThat(after.get("networkAdapters")).isEqualTo(before.get("networkAdapters"));
                if (i != 3) assertThat(after.get("memoryBytes")).isEqualTo(before.get("memoryBytes"));
            }
            assertThat(second.api.get("/api/v1/vms/vm3").json().get("memory").asText())
                    .isEqualTo("1G");
            assertThat(second.api.get("/api/v1/vms/vm19").status()).isEqualTo(404);
            for (String vm : List.of("vm1", "vm2")) {
                JsonNode v = second.api.get("/api/v1/vms/" + vm).json();
                assertThat(v.get("state").asText()).isEqualTo("off");
                assertThat(v.at("/lastExit/reason").asText())
                        .startsWith("service restarted while the VM was " + (vm.equals("vm1") ? "running" : "paused"));
            }
            assertThat(second.api.get("/api/v1/vms/vm0").json().get("lastExit").isNull())
                    .isTrue();
            // and it works as before
            assertThat(second.api
                            .awaitJob(second.api.post("/api/v1/vms/vm1/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
        } finally {
            second.kill9();
        }
    }

    @Test
    void aRestartedServiceBringsTheHostsSwitchesInLineWithWhatIsStored() throws Exception {
        assumeTrue(SwitchHost.unavailable().isEmpty(), () -> SwitchHost.unavailable()
                .orElse(""));
        String id = UUID.randomUUID().toString().substring(0, 6);
        String kept = "t-kept-" + id, dropped = "t-drop-" + id;
        Path dir = TestService.tempDir();
        Proc first = Proc.start(dir);
        try {
            for (String name : List.of(kept, dropped))
                assertThat(first.api
                                .post("/api/v1/switches", "{\"name\":\"" + name + "\",\"type\":\"private\"}")
                                .status())
                        .isEqualTo(201);
            first.kill9();
            // As if the crash had come between a delete's two steps: the definition gone, the bridge still there.
            Files.delete(dir.resolve("switches").resolve(dropped + ".json"));
            // And someone removed the kept switch's bridge meanwhile.
            SwitchHost.system().remove(kept);
            assertThat(bridge(dropped)).isTrue();
            assertThat(bridge(kept)).isFalse();

            Proc second = Proc.start(dir);
            try {
                assertThat(bridge(dropped))
                        .as("made by the first service, no longer stored")
                        .isFalse();
                assertThat(bridge(kept)).as("stored: built again").isTrue();
                JsonNode list = second.api.get("/api/v1/switches").json();
                assertThat(list.findValuesAsText("name")).containsExactly(kept);
                assertThat(list.at("/0/hostState").asText()).isEqualTo("applied");
                assertThat(second.api.delete("/api/v1/switches/" + kept).status())
                        .isEqualTo(204);
                assertThat(bridge(kept)).isFalse();
            } finally {
                second.kill9();
            }
        } finally {
            if (first.process.isAlive()) first.kill9();
            SwitchHost.system().remove(kept);
            SwitchHost.system().remove(dropped);
        }
    }

    private static boolean bridge(String name) {
        return Files.exists(Path.of("/sys/class/net", Names.bridge(name)));
    }

    @Test
    void aSecondServiceCannotTakeALockedStateDirectory() throws Exception {
        Path dir = TestService.tempDir();
        Proc first = Proc.start(dir);
        try {
            Process p = Proc.builder(dir).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).isNotZero();
            assertThat(out).contains("another viridian service owns the state directory");
        } finally {
            first.kill9();
        }
    }

    record Proc(Process process, ApiClient api) {
        static ProcessBuilder builder(Path dir) {
            return new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    ServiceProcess.class.getName(),
                    dir.toString());
        }

        static Proc start(Path dir) throws Exception {
            Process p = builder(
                            dir) // stderr to a file, not this JVM's: a service that outlived its test would otherwise
                    // hold the test run open
                    .redirectError(ProcessBuilder.Redirect.appendTo(new java.io.File("target/service-stderr.log")))
                    .start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            String line = out.readLine();
            assertThat(line).as("service did not start").isNotNull().startsWith("serving ");
            return new Proc(p, new ApiClient(line.substring("serving ".length())));
        }

        void kill9() throws Exception {
            // Process.destroyForcibly is SIGKILL on Linux: no shutdown hooks, no flushing.
            process.destroyForcibly();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(137);
        }
    }
}
