package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;

/**
 * Quick migration between two real service processes (two state directories, one shared disk directory), VMs in
 * worker processes running the scripted engine (its guest ticks; its saved state is the tick). A moved VM ticks on at
 * the destination from its saved tick and is gone from the source; a destination that refuses (name taken) or cannot be
 * reached leaves it saved at the source; a source SIGKILLed after it marked the VM migrating, before the commit or
 * after it, settles on restart to exactly one copy (back here, or there).
 */
class MoveTest {
    private static final Pattern TICK = Pattern.compile("tick (\\d+)");

    @Test
    void aRunningVmMovesAndEveryCutLeavesExactlyOneRunnableCopy() throws Exception {
        Path a = TestService.tempDir(), b = TestService.tempDir(), shared = TestService.tempDir();
        Path disk = shared.resolve("mover.vhdx");
        Images.create(disk, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 16 << 20, 0, null));
        ServiceProcess.Running src = ServiceProcess.Running.start(a, "worker-scripted");
        ServiceProcess.Running dst = ServiceProcess.Running.start(b, "worker-scripted");
        try {
            ApiClient from = src.api(), to = dst.api();
            create(from, "mover", disk);
            from.awaitJob(from.post("/api/v1/vms/mover/start", null));
            from.awaitConsole("mover", "tick 4");

            JsonNode moved = from.awaitJob(move(from, "mover", dst.url()));
            assertThat(moved.get("status").asText()).as(moved.toString()).isEqualTo("succeeded");
            assertThat(moved.get("message").asText()).contains("guest-visible pause", "1 disk image(s) on shared");
            assertThat(from.get("/api/v1/vms/mover").status()).isEqualTo(404);
            assertThat(a.resolve("vms").toFile().list()).isEmpty();
            JsonNode there = to.awaitState("mover", "running");
            assertThat(there.at("/disks/0/path").asText())
                    .as("shared storage: the disk stays where it is")
                    .isEqualTo(disk.toString());
            String console = to.awaitConsole("mover", "resumed from its saved state, last tick #");
            int atSave = Integer.parseInt(console.replaceAll("(?s).*last tick #(\\d+).*", "$1"));
            assertThat(atSave).isGreaterThanOrEqualTo(4);
            to.awaitConsole("mover", "tick " + (atSave + 2));
            try (var probes = Files.list(shared)) {
                assertThat(probes.map(p -> p.getFileName().toString())).containsExactly("mover.vhdx");
            }

            // Refused by the destination (a VM of that name is there): saved here, runnable.
            create(from, "mover", null);
            from.awaitJob(from.post("/api/v1/vms/mover/start", null));
            from.awaitConsole("mover", "tick 2");
            JsonNode refused = from.awaitJob(move(from, "mover", dst.url()));
            assertThat(refused.get("status").asText()).isEqualTo("failed");
            assertThat(refused.get("message").asText()).contains("already exists");
            assertThat(from.get("/api/v1/vms/mover").json().get("state").asText())
                    .isEqualTo("saved");
            assertThat(to.get("/api/v1/vms").json().size()).isEqualTo(1);

            // Unreachable destination: saved here, runnable.
            JsonNode unreachable = from.awaitJob(move(from, "mover", "http://127.0.0.1:1/"));
            assertThat(unreachable.get("status").asText()).isEqualTo("failed");
            assertThat(from.get("/api/v1/vms/mover").json().get("state").asText())
                    .isEqualTo("saved");
            JsonNode resumed = from.awaitJob(from.post("/api/v1/vms/mover/start", null));
            assertThat(resumed.get("status").asText()).as(resumed.toString()).isEqualTo("succeeded");
            from.awaitJob(from.post("/api/v1/vms/mover/save", null));
            to.awaitJob(to.post("/api/v1/vms/mover/stop", null));
            assertThat(to.delete("/api/v1/vms/mover").status()).isEqualTo(204);

            // SIGKILL after the mark, before the commit: back here, saved; nothing there.
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted", "-Dviridian.test.haltMove=marked");
            from = src.api();
            move(from, "mover", dst.url());
            from.awaitState("mover", "migrating");
            assertThat(from.post("/api/v1/vms/mover/start", null).status()).isEqualTo(409);
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted", "-Dviridian.test.haltMove=committed");
            from = src.api();
            from.awaitState("mover", "saved");
            assertThat(to.get("/api/v1/vms/mover").status()).isEqualTo(404);

            // SIGKILL after the commit, before the source removed its copy: there (saved, as it was here); gone here
            // on restart.
            move(from, "mover", dst.url());
            to.awaitState("mover", "saved");
            assertThat(from.get("/api/v1/vms/mover").json().get("state").asText())
                    .isEqualTo("migrating");
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted");
            from = src.api();
            awaitGone(from, "mover");
            JsonNode started = to.awaitJob(to.post("/api/v1/vms/mover/start", null));
            assertThat(started.get("status").asText()).as(started.toString()).isEqualTo("succeeded");
            to.awaitConsole("mover", "resumed from its saved state");
        } finally {
            if (src.process().isAlive()) src.kill9();
            if (dst.process().isAlive()) dst.kill9();
            ServiceProcess.killWorkers(a);
            ServiceProcess.killWorkers(b);
        }
    }

    static void create(ApiClient api, String name, Path disk) {
        ApiClient.Response r = api.post(
                "/api/v1/vms",
                "{\"name\":\"" + name + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"ticker\"}"
                        + (disk == null ? "" : ",\"disks\":[{\"path\":\"" + disk + "\"}]") + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private static ApiClient.Response move(ApiClient api, String vm, String url) {
        ApiClient.Response r = api.post("/api/v1/vms/" + vm + "/move", "{\"destination\":\"" + url + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r;
    }

    private static void awaitGone(ApiClient api, String vm) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (api.get("/api/v1/vms/" + vm).status() != 404) {
            if (System.nanoTime() > deadline) throw new AssertionError(vm + " is still here");
            Thread.sleep(50);
        }
    }

    static int lastTick(String console) {
        Matcher m = TICK.matcher(console);
        int last = 0;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }
}
