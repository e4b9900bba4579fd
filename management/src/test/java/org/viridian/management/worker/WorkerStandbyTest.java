package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;

/**
 * Real worker processes (the scripted engine, no KVM): a worker waits ready from the service's start, and the first
 * VM's worker is that very process; once a VM has started, another waits for the next one, which runs in it as any
 * worker does; the waiting one ends with the service while the VMs' workers run on.
 */
class WorkerStandbyTest {
    @Test
    void eachVmRunsInTheWorkerStartedAheadAndTheStandbyEndsWithTheService() throws Exception {
        Path dir = TestService.tempDir();
        // at once here (the service waits a while after a start, so the next JVM does not compete with the guest)
        System.setProperty(WorkerSpawner.STANDBY_DELAY_PROPERTY, "0");
        long second;
        ProcessHandle next;
        try (TestService s = TestService.start(
                dir, WorkerEngine.running(dir, ScriptedEngine.class.getName()).withStandby(true), false, null)) {
            ApiClient api = s.api;
            String a = create(api, "first"), b = create(api, "second");
            ProcessHandle ahead = awaitStandby(List.of());
            assertThat(api.awaitJob(api.post("/api/v1/vms/first/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(RuntimeDir.of(dir, a).pid().orElseThrow())
                    .as("the first VM's worker is the standby started with the service")
                    .isEqualTo(ahead.pid());
            ProcessHandle standby = awaitStandby(List.of(ahead.pid()));
            assertThat(standby.parent().map(ProcessHandle::pid))
                    .contains(ProcessHandle.current().pid());

            JsonNode started = api.awaitJob(api.post("/api/v1/vms/second/start", null));
            assertThat(started.get("status").asText()).as(started.toString()).isEqualTo("succeeded");
            second = RuntimeDir.of(dir, b).pid().orElseThrow();
            assertThat(second).as("the second VM's worker is the standby").isEqualTo(standby.pid());
            api.awaitConsole(b, "tick 3");
            api.awaitConsole(a, "tick 3");
            // its log is the VM's worker log: the standby's lines, then the VM's
            assertThat(Files.readString(RuntimeDir.of(dir, b).log(), StandardCharsets.UTF_8))
                    .contains("standby: ready in")
                    .contains(WorkerMain.TIMING + " JVM in standby");
            // its own directory is gone; another standby waits for the third VM
            try (var run = Files.list(RuntimeDir.root(dir))) {
                assertThat(run.filter(p -> p.getFileName().toString().startsWith("standby-"))
                                .count())
                        .isLessThanOrEqualTo(1);
            }
            next = awaitStandby(List.of(ahead.pid(), standby.pid()));
            assertThat(api.awaitJob(api.post("/api/v1/vms/second/stop", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(api.awaitJob(api.post("/api/v1/vms/first/stop", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
        }
        System.clearProperty(WorkerSpawner.STANDBY_DELAY_PROPERTY);
        // the service closed: its standby went with it
        next.onExit().get(20, TimeUnit.SECONDS);
        assertThat(next.isAlive()).isFalse();
        // The stopped VM's worker ends too: it reports its VM's end before its JVM exits, so its exit may come after.
        Optional<ProcessHandle> secondWorker = ProcessHandle.of(second);
        if (secondWorker.isPresent()) secondWorker.get().onExit().get(20, TimeUnit.SECONDS);
        assertThat(secondWorker.map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
    }

    /** A child of this JVM waiting in standby, other than {@code not}. */
    private static ProcessHandle awaitStandby(List<Long> not) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Optional<ProcessHandle> s = ProcessHandle.current()
                    .children()
                    .filter(h -> !not.contains(h.pid()))
                    .filter(h -> cmdline(h).contains(WorkerStandby.ARG))
                    .findFirst();
            if (s.isPresent()) return s.get();
            Thread.sleep(50);
        }
        throw new AssertionError("no standby worker started");
    }

    private static String cmdline(ProcessHandle h) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String create(ApiClient api, String name) throws Exception {
        ApiClient.Response r = api.post(
                "/api/v1/vms",
                "{\"name\":\"" + name
                        + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"ticker\"}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }
}
