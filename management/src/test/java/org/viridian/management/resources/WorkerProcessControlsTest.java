package org.viridian.management.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.VmConfig;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.VmEngine;
import org.viridian.management.service.VmExit;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;

/**
 * Through the REST API, a VM whose engine gives it a process of its own (as the worker-process engine will): a busy
 * child stands in for the worker. Its cgroup is made at start with the VM's settings, a PATCH reaches it at once (the
 * kernel's files and the process's allowed CPUs say so), a setting the kernel refuses leaves everything as it was, and
 * the group goes when the VM stops.
 */
class WorkerProcessControlsTest {
    /** The scripted guest, plus a busy process the VM "runs in". */
    static final class ProcessEngine implements VmEngine {
        final ScriptedEngine scripted = new ScriptedEngine();
        final Map<String, Process> processes = new ConcurrentHashMap<>();

        @Override
        public java.util.Optional<String> unavailableReason() {
            return java.util.Optional.empty();
        }

        @Override
        public RunningVm launch(VmConfig config, OutputStream console) throws IOException {
            RunningVm inner = scripted.launch(config, console);
            Process p = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
            processes.put(config.id().toString(), p);
            inner.exit().whenComplete((x, t) -> p.destroyForcibly());
            return new Worker(inner, p);
        }
    }

    record Worker(RunningVm inner, Process process) implements RunningVm {
        @Override
        public void pause() throws InterruptedException {
            inner.pause();
        }

        @Override
        public void resume() {
            inner.resume();
        }

        @Override
        public void powerOff(String why) {
            inner.powerOff(why);
        }

        @Override
        public boolean requestShutdown() {
            return inner.requestShutdown();
        }

        @Override
        public void sendInput(byte[] bytes) {
            inner.sendInput(bytes);
        }

        /** The VM has exited once its process has. */
        @Override
        public CompletableFuture<VmExit> exit() {
            return inner.exit().thenCombine(process.onExit(), (x, p) -> x);
        }

        @Override
        public GuestIntegration integration() {
            return inner.integration();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public OptionalLong processId() {
            return OptionalLong.of(process.pid());
        }
    }

    @Test
    void aVmsProcessGetsItsGroupChangesReachItAtOnceAndTheGroupGoesWithIt() throws Exception {
        Cgroups cgroups = Cgroups.detect();
        assumeThat(cgroups).as("no usable cgroups here: %s", cgroups).isNotInstanceOf(Cgroups.Unavailable.class);
        ProcessEngine engine = new ProcessEngine();
        try (TestService s = TestService.start(TestService.tempDir(), engine, false, null)) {
            ApiClient api = s.api;
            ApiClient.Response created = api.post(
                    "/api/v1/vms",
                    "{\"name\":\"worker\",\"resources\":{\"cpuLimit\":50,\"cpuRelativeWeight\":200,"
                            + "\"memoryLimit\":\"1G\"}}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            String id = created.json().get("id").asText();
            assertThat(api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            JsonNode running = api.awaitState(id, "running");
            assertThat(running.at("/resourceControls/applied").asBoolean())
                    .as(running.toString())
                    .isTrue();
            assertThat(running.at("/resourceControls/group").asText()).isEqualTo("viridian/vm-" + id);
            assertThat(running.at("/resourceControls/mechanism").asText()).isEqualTo(cgroups.mechanism());
            long pid = engine.processes.get(id).pid();
            Files files = new Files(cgroups, id);
            assertThat(files.quota()).isEqualTo("50000");
            assertThat(files.memoryLimit()).isEqualTo(Long.toString(1L << 30));
            assertThat(files.procs()).contains(Long.toString(pid));
            // The limit holds the busy process near half a CPU (a ceiling: a busy host can only lower it).
            assertThat(CgroupsV1Test.cpuShare(pid, Duration.ofSeconds(2))).isLessThan(0.60);

            JsonNode changed = api.patch(
                            "/api/v1/vms/" + id, "{\"resources\":{\"cpuLimit\":20,\"processorAffinity\":\"0\"}}")
                    .json();
            assertThat(changed.at("/resources/cpuLimit").asInt()).isEqualTo(20);
            assertThat(changed.at("/resourceControls/applied").asBoolean()).isTrue();
            assertThat(files.quota()).isEqualTo("20000");
            assertThat(allowedCpus(pid)).isEqualTo("0");

            // CPU 4000 is no CPU of this host: refused by the kernel, nothing changes.
            ApiClient.Response refused =
                    api.patch("/api/v1/vms/" + id, "{\"resources\":{\"cpuLimit\":70,\"processorAffinity\":\"4000\"}}");
            assertThat(refused.status()).as(refused.body()).isEqualTo(409);
            assertThat(refused.json().at("/error/code").asText()).isEqualTo("resources_not_applied");
            assertThat(refused.json().at("/error/message").asText())
                    .contains("cannot write '4000' to cpuset.cpus")
                    .endsWith("nothing was changed");
            JsonNode after = api.get("/api/v1/vms/" + id).json();
            assertThat(after.at("/resources/cpuLimit").asInt()).isEqualTo(20);
            assertThat(after.at("/resources/processorAffinity").asText()).isEqualTo("0");
            assertThat(after.at("/resourceControls/applied").asBoolean()).isTrue();
            assertThat(files.quota()).isEqualTo("20000");
            assertThat(allowedCpus(pid)).isEqualTo("0");

            api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
            api.awaitState(id, "off");
            assertThat(engine.processes.get(id).waitFor(10, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (files.anyLeft() && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(files.anyLeft())
                    .as("the VM's cgroup directories after it stopped")
                    .isFalse();
        }
    }

    private static String allowedCpus(long pid) throws IOException {
        return java.nio.file.Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:"))
                .map(l -> l.substring("Cpus_allowed_list:".length()).strip())
                .findFirst()
                .orElseThrow();
    }

    /** The VM's group's files in this host's hierarchy (v1: one directory per controller). */
    record Files(Cgroups cgroups, String id) {
        private Path dir(String controller) {
            String g = Cgroups.PARENT + "/vm-" + id;
            if (cgroups instanceof CgroupV2) return Path.of("/sys/fs/cgroup").resolve(g);
            try {
                for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/mounts"))) {
                    String[] f = line.split(" ");
                    if (f[2].equals("cgroup") && Set.of(f[3].split(",")).contains(controller))
                        return Path.of(f[1]).resolve(g);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw new IllegalStateException("no hierarchy for " + controller);
        }

        private String read(String controller, String file) throws IOException {
            return java.nio.file.Files.readString(dir(controller).resolve(file)).strip();
        }

        String quota() throws IOException {
            return cgroups instanceof CgroupV2 ? read("cpu", "cpu.max").split(" ")[0] : read("cpu", "cpu.cfs_quota_us");
        }

        String memoryLimit() throws IOException {
            return cgroups instanceof CgroupV2 ? read("memory", "memory.max") : read("memory", "memory.limit_in_bytes");
        }

        String procs() throws IOException {
            return read("cpu", "cgroup.procs");
        }

        boolean anyLeft() {
            return Set.of("cpu", "cpuset", "memory").stream().anyMatch(c -> java.nio.file.Files.exists(dir(c)));
        }
    }
}
