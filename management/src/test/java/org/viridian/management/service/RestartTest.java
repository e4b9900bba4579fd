package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;

/**
 * A real service process killed with SIGKILL mid-work and started again on the same state directory: every VM
 * definition is back, and the VMs that were running are reported off with the reason.
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
                            "{\"name\":\"vm" + i + "\",\"cpus\":" + (1 + i % 4) + ",\"memory\":\"" + (64 + i)
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
            Process p =
                    builder(dir).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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
