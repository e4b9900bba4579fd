package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;
import org.viridian.management.testing.Ticks;

/**
 * Real processes, no KVM: a service (its own JVM) whose VMs each run in a worker process (the scripted engine on the
 * test class path). The VMs outlive a SIGKILLed service, a new one adopts them, and a SIGKILLed worker crashes only
 * its own VM.
 */
class WorkerProcessTest {

    @Test
    void vmsOutliveASigkilledServiceAndAKilledWorkerCrashesOnlyItsOwnVm() throws Exception {
        Path dir = TestService.tempDir();
        ServiceProcess.Running first = ServiceProcess.Running.start(dir, "worker-scripted");
        ServiceProcess.Running second = null;
        try {
            ApiClient api = first.api();
            String a = create(api, "alpha", "ticker"), b = create(api, "beta", "ticker");
            String brief = create(api, "brief", "ticker ticks=25");
            for (String vm : List.of(a, b, brief)) {
                assertThat(api.awaitJob(api.post("/api/v1/vms/" + vm + "/start", null))
                                .get("status")
                                .asText())
                        .isEqualTo("succeeded");
            }
            api.awaitConsole(a, "tick 3");
            api.awaitConsole(b, "tick 3");
            api.post("/api/v1/vms/beta/pause", null);
            long workerA = workerPid(dir, a), workerB = workerPid(dir, b), workerPidBrief = workerPid(dir, brief);
            assertThat(workerA).isNotEqualTo(first.process().pid()).isNotEqualTo(workerB);
            int ticksBefore =
                    Ticks.last(api.get("/api/v1/vms/" + a + "/console").body());

            first.kill9();
            // No service: the workers and their guests run on (brief's guest powers off meanwhile, on its own).
            Thread.sleep(3000);
            assertThat(ProcessHandle.of(workerA).map(ProcessHandle::isAlive)).contains(true);
            assertThat(ProcessHandle.of(workerB).map(ProcessHandle::isAlive)).contains(true);

            second = ServiceProcess.Running.start(dir, "worker-scripted");
            api = second.api();
            JsonNode alpha = api.get("/api/v1/vms/alpha").json();
            assertThat(alpha.get("state").asText()).isEqualTo("running");
            assertThat(api.get("/api/v1/vms/beta").json().get("state").asText()).isEqualTo("paused");
            // (its worker waited for a service to tell, and this one took the exit from it)
            JsonNode ended = api.awaitState(brief, "off");
            assertThat(ended.at("/lastExit/reason").asText()).isEqualTo("the guest powered off");
            awaitGone(workerPidBrief);
            awaitRemoved(RuntimeDir.of(dir, brief).path());

            // The console's scrollback came back, and output goes on from where the worker's ring is: it ticked while
            // no service listened (about 30 ticks in 3 s), and keeps ticking.
            String console = api.get("/api/v1/vms/" + a + "/console").body();
            assertThat(console)
                    .contains("scripted guest smp.elf booting VM alpha")
                    .contains("tick " + ticksBefore);
            assertThat(Ticks.last(console)).isGreaterThan(ticksBefore + 20);
            api.awaitConsole(a, "tick " + (Ticks.last(console) + 5));
            // One read for both counts: the guest ticks on between two reads.
            String now = api.get("/api/v1/vms/" + a + "/console").body();
            assertThat(Ticks.last(now)).as("one line per tick, none twice").isEqualTo(Ticks.count(now));

            // Its metrics come from the worker that runs it.
            JsonNode metrics = api.get("/api/v1/vms/alpha/metrics").json();
            assertThat(metrics.at("/vps/0/cpuNanos").asLong()).isPositive();
            // ... and its process's memory from the worker's /proc entry (a JVM's: more than 16 MiB)
            assertThat(metrics.at("/memory/processResidentBytes").asLong()).isGreaterThan(16L << 20);

            // An adopted VM is managed as before: resume, input, stop.
            api.post("/api/v1/vms/beta/resume", null);
            int ticksB = Ticks.last(api.get("/api/v1/vms/" + b + "/console").body());
            api.awaitConsole(b, "tick " + (ticksB + 3));
            api.post("/api/v1/vms/" + a + "/console/input", "hello");
            JsonNode stop = api.awaitJob(api.post("/api/v1/vms/alpha/stop", null));
            assertThat(stop.get("status").asText()).isEqualTo("succeeded");
            assertThat(api.get("/api/v1/vms/alpha")
                            .json()
                            .at("/lastExit/reason")
                            .asText())
                    .isEqualTo("turned off by the host");
            awaitGone(workerA);
            awaitRemoved(RuntimeDir.of(dir, a).path());

            // kill -9 of a worker this service started: its VM crashed, with the signal; the others run on.
            String c = create(api, "gamma", "ticker");
            api.awaitJob(api.post("/api/v1/vms/" + c + "/start", null));
            long workerC = workerPid(dir, c);
            // Resource controls act on the worker's process (applied, or the host's reason — never "in process").
            assertThat(api.get("/api/v1/vms/gamma")
                            .json()
                            .at("/resourceControls/reason")
                            .asText())
                    .doesNotContain("worker processes");
            ProcessHandle.of(workerC).orElseThrow().destroyForcibly();
            JsonNode gamma = api.awaitState(c, "crashed");
            assertThat(gamma.at("/lastExit/reason").asText())
                    .isEqualTo("worker process " + workerC + " exited with signal 9");
            assertThat(api.get("/api/v1/vms/beta").json().get("state").asText()).isEqualTo("running");
            int ticksNow = Ticks.last(api.get("/api/v1/vms/" + b + "/console").body());
            api.awaitConsole(b, "tick " + (ticksNow + 3));

            // kill -9 of an adopted worker: crashed as well (its exit status went to the first service's init).
            ProcessHandle.of(workerB).orElseThrow().destroyForcibly();
            assertThat(api.awaitState(b, "crashed").at("/lastExit/reason").asText())
                    .isEqualTo("worker process " + workerB + " ended without reporting how its VM ended");
            assertThat(api.get("/api/v1/vms/alpha").json().get("state").asText())
                    .isEqualTo("off");
            // and a crashed VM starts again
            api.awaitJob(api.post("/api/v1/vms/gamma/stop", null));
            assertThat(api.awaitJob(api.post("/api/v1/vms/gamma/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
        } finally {
            if (first.process().isAlive()) first.kill9();
            if (second != null) second.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }

    /**
     * A running VM's disk limits changed through the API reach its disk in the worker process: the scripted guest
     * writes one line per I/O through the disk's token bucket, so the lines it manages per interval follow the limit,
     * and the VM's metrics (read from the worker) report the limit the bucket holds.
     */
    @Test
    void diskLimitsOfARunningVmChangeInItsWorkerAtOnce() throws Exception {
        Path dir = TestService.tempDir();
        Path disk = Files.createFile(dir.resolve("qos.img"));
        ServiceProcess.Running p = ServiceProcess.Running.start(dir, "worker-scripted");
        try {
            ApiClient api = p.api();
            String vm = create(api, "qos", "disk-writer");
            ApiClient.Response attached =
                    api.post("/api/v1/vms/qos/disks", "{\"path\":\"" + disk + "\",\"maxIops\":2}");
            assertThat(attached.status()).as(attached.body()).isEqualTo(201);
            assertThat(api.awaitJob(api.post("/api/v1/vms/qos/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(workerPid(dir, vm)).isNotEqualTo(p.process().pid());
            assertThat(api.get("/api/v1/vms/qos/metrics")
                            .json()
                            .at("/disks/0/maxIops")
                            .asLong())
                    .isEqualTo(2);
            // 2 IOPS with a one-second burst: at most 2 per second plus the burst, where unlimited it writes every 20
            // ms.
            assertThat(linesIn(disk, 2000)).as("writes in 2 s at 2 IOPS").isLessThanOrEqualTo(7);

            ApiClient.Response lifted = api.patch("/api/v1/vms/qos/disks/0", "{\"maxIops\":0}");
            assertThat(lifted.status()).as(lifted.body()).isEqualTo(200);
            assertThat(api.get("/api/v1/vms/qos/metrics")
                            .json()
                            .at("/disks/0/maxIops")
                            .asLong())
                    .isZero();
            assertThat(linesIn(disk, 2000)).as("writes in 2 s without a limit").isGreaterThan(25);

            ApiClient.Response limited =
                    api.patch("/api/v1/vms/qos/disks/0", "{\"maxIops\":4,\"maxBytesPerSecond\":\"1M\"}");
            assertThat(limited.status()).as(limited.body()).isEqualTo(200);
            JsonNode m = api.get("/api/v1/vms/qos/metrics").json();
            assertThat(m.at("/disks/0/maxIops").asLong()).isEqualTo(4);
            assertThat(m.at("/disks/0/maxBytesPerSecond").asLong()).isEqualTo(1L << 20);
            assertThat(linesIn(disk, 2000)).as("writes in 2 s at 4 IOPS").isLessThanOrEqualTo(13);
            assertThat(api.get("/api/v1/vms/qos").json().at("/disks/0/maxIops").asLong())
                    .isEqualTo(4);
        } finally {
            p.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }

    /** Lines the disk-writer guest appended to {@code disk} in {@code millis}. */
    private static int linesIn(Path disk, long millis) throws Exception {
        int before = Files.readAllLines(disk).size();
        Thread.sleep(millis);
        return Files.readAllLines(disk).size() - before;
    }

    @Test
    void aVmThatEndsAtOnceIsHeardAndAWorkerThatCannotStartItsVmSaysWhy() throws Exception {
        Path dir = TestService.tempDir();
        ServiceProcess.Running p = ServiceProcess.Running.start(dir, "worker-scripted");
        try {
            // A guest that is done at once may end before the service has connected to its worker: it is heard all
            // the same.
            ApiClient.Response quick = p.api()
                    .post(
                            "/api/v1/vms",
                            "{\"name\":\"quick\",\"boot\":{\"type\":\"demo\",\"guest\":\"poweroff.elf\"}}");
            assertThat(p.api()
                            .awaitJob(p.api().post("/api/v1/vms/quick/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(p.api().awaitState("quick", "off").at("/lastExit/reason").asText())
                    .isEqualTo("the guest powered off");
            assertThat(p.api().get("/api/v1/vms/quick/console").body()).contains("powering off");
            awaitRemoved(RuntimeDir.of(dir, quick.json().get("id").asText()).path());

            create(p.api(), "broken", "fail-to-start");
            JsonNode job = p.api().awaitJob(p.api().post("/api/v1/vms/broken/start", null));
            assertThat(job.get("status").asText()).isEqualTo("failed");
            JsonNode vm = p.api().get("/api/v1/vms/broken").json();
            assertThat(vm.get("state").asText()).isEqualTo("off");
            assertThat(vm.at("/lastExit/reason").asText())
                    .isEqualTo("failed to start: the scripted guest does not start (fail-to-start)");
            assertThat(Files.exists(RuntimeDir.of(dir, vm.get("id").asText()).path()))
                    .isFalse();
        } finally {
            p.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }

    @Test
    void aConfinedWorkerRunsItsVmJailedAndFilteredAndIsManagedAsBefore() throws Exception {
        String self = Files.readString(Path.of("/proc/self/status"));
        Matcher capEff = Pattern.compile("CapEff:\\s+(\\p{XDigit}+)").matcher(self);
        assumeTrue(
                self.contains("Uid:\t0\t") && capEff.find() && (Long.parseLong(capEff.group(1), 16) & (1L << 21)) != 0,
                "confined workers need root with CAP_SYS_ADMIN (a mount namespace and chroot)");
        Path dir = TestService.tempDir();
        ServiceProcess.Running p = ServiceProcess.Running.start(dir, "worker-scripted-confined");
        try {
            ApiClient api = p.api();
            String vm = create(api, "jailed", "ticker");
            JsonNode started = api.awaitJob(api.post("/api/v1/vms/" + vm + "/start", null));
            // A host that refuses the jail itself (no mount namespaces for this root, as ConfinementTest skips) is a
            // reason to skip; any other failure to start fails the test.
            assumeTrue(
                    !started.toString().contains("cannot confine the worker")
                            || !started.toString().contains("EPERM"),
                    () -> "this host refuses the worker's jail: " + started);
            assertThat(started.get("status").asText()).as(started.toString()).isEqualTo("succeeded");
            api.awaitConsole(vm, "tick 3");
            long worker = workerPid(dir, vm);
            // Every thread of the worker: no new privileges, the seccomp filter.
            try (var tasks = Files.list(Path.of("/proc/" + worker + "/task"))) {
                for (Path t : tasks.toList())
                    assertThat(Files.readString(t.resolve("status")))
                            .as("thread " + t.getFileName())
                            .containsPattern("NoNewPrivs:\\s+1")
                            .containsPattern("Seccomp:\\s+2");
            }
            assertThat(Files.readString(RuntimeDir.of(dir, vm).log()))
                    .contains("confined:")
                    .contains("applied jail")
                    .contains("applied seccomp");
            // Managed over its socket as before: pause, resume, metrics, then stop with the exit recorded.
            api.post("/api/v1/vms/jailed/pause", null);
            assertThat(api.awaitState(vm, "paused").get("state").asText()).isEqualTo("paused");
            api.post("/api/v1/vms/jailed/resume", null);
            int ticks = Ticks.last(api.get("/api/v1/vms/" + vm + "/console").body());
            api.awaitConsole(vm, "tick " + (ticks + 3));
            JsonNode jailed = api.get("/api/v1/vms/jailed/metrics").json();
            assertThat(jailed.at("/vps/0/cpuNanos").asLong()).isPositive();
            // a confined worker has no /proc: the service reads its resident memory from outside
            assertThat(jailed.at("/memory/processResidentBytes").asLong()).isGreaterThan(16L << 20);
            assertThat(api.awaitJob(api.post("/api/v1/vms/jailed/stop", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(api.get("/api/v1/vms/jailed")
                            .json()
                            .at("/lastExit/reason")
                            .asText())
                    .isEqualTo("turned off by the host");
            awaitGone(worker);
        } finally {
            p.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }

    private static String create(ApiClient api, String name, String cmdline) {
        ApiClient.Response r = api.post(
                "/api/v1/vms",
                "{\"name\":\"" + name + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"" + cmdline
                        + "\"}}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    private static long workerPid(Path dir, String id) {
        return RuntimeDir.of(dir, id).pid().orElseThrow();
    }

    /** The service removes a runtime directory just after it has recorded the VM's exit. */
    private static void awaitRemoved(Path p) throws Exception {
        for (int i = 0; i < 100 && Files.exists(p); i++) Thread.sleep(100);
        assertThat(Files.exists(p)).as(p + " removed").isFalse();
    }

    private static void awaitGone(long pid) throws Exception {
        var h = ProcessHandle.of(pid);
        if (h.isPresent()) h.get().onExit().get(10, TimeUnit.SECONDS);
    }
}
