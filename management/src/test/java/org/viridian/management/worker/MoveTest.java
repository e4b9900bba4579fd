package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;

/**
 * Export/import and quick migration between two real service processes (two state directories, one shared disk
 * directory), VMs in worker processes running the scripted engine (its guest ticks; its saved state is the tick).
 * <ul>
 *   <li>An export holds the definition, the saved state, the checkpoints and copies of the whole disk chain; imported
 *       by the other service, the VM resumes at its tick on the copies. A damaged export is refused, leaving nothing.
 *   <li>A running VM moves: it ticks on at the destination from its saved tick, on the same (shared) disk, and is gone
 *       here. A destination that refuses (name taken) or cannot be reached leaves it saved here, and it resumes.
 *   <li>A source SIGKILLed after it marked the VM migrating settles on restart to exactly one copy: before the commit,
 *       back here; after it, there (its disks, which the destination did not see, copied over HTTP).
 * </ul>
 */
class MoveTest {
    private static final String UNSEEN = "-Dviridian.test.unseenDir=";

    @Test
    void exportImportAndQuickMigrationLeaveExactlyOneRunnableCopyAtEveryCut() throws Exception {
        Path a = TestService.tempDir(), b = TestService.tempDir(), shared = TestService.tempDir();
        Path own = TestService.tempDir(); // storage the destination does not see (the hook says so)
        Path disk = shared.resolve("mover.vhdx");
        Images.create(disk, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 16 << 20, 0, null));
        ServiceProcess.Running src = ServiceProcess.Running.start(a, "worker-scripted");
        ServiceProcess.Running dst = ServiceProcess.Running.start(b, "worker-scripted", UNSEEN + own);
        try {
            ApiClient from = src.api(), to = dst.api();
            create(from, "mover", disk);
            assertThat(status(from.awaitJob(from.post("/api/v1/vms/mover/checkpoints", "{\"name\":\"clean\"}"))))
                    .isEqualTo("succeeded");
            from.awaitJob(from.post("/api/v1/vms/mover/start", null));
            from.awaitConsole("mover", "tick 4");
            from.awaitJob(from.post("/api/v1/vms/mover/save", null));
            int atSave = SaveRestoreTestTicks.last(
                    from.get("/api/v1/vms/mover/console").body());

            // Export: definition, saved state, checkpoint, both images of the chain, the child pointing at the copy.
            Path exports = TestService.tempDir();
            JsonNode exported = from.awaitJob(from.post("/api/v1/vms/mover/export", "{\"path\":\"" + exports + "\"}"));
            assertThat(status(exported)).as(exported.toString()).isEqualTo("succeeded");
            Path pkg = exports.resolve("mover");
            assertThat(pkg.resolve("config.json")).exists();
            assertThat(pkg.resolve("saved-state.vmrs")).exists();
            assertThat(pkg.resolve("manifest.json")).exists();
            assertThat(pkg.resolve("checkpoints/current.json")).exists();
            Path child = Path.of(
                    from.get("/api/v1/vms/mover").json().at("/disks/0/path").asText());
            assertThat(parentOf(pkg.resolve("disks").resolve(child.getFileName())))
                    .isEqualTo(pkg.resolve("disks/mover.vhdx"));

            // Damaged exports are refused and leave nothing behind.
            Path truncated = copyTree(pkg, TestService.tempDir().resolve("mover"));
            try (RandomAccessFile f =
                    new RandomAccessFile(truncated.resolve("disks/mover.vhdx").toFile(), "rw")) {
                f.setLength(f.length() - 4096);
            }
            assertRefused(to, truncated, "truncated");
            Path unparsable = copyTree(pkg, TestService.tempDir().resolve("mover"));
            Files.writeString(unparsable.resolve("config.json"), "{\"id\":");
            assertRefused(to, unparsable, "config.json");
            Path missing = copyTree(pkg, TestService.tempDir().resolve("mover"));
            Files.delete(missing.resolve("disks").resolve(child.getFileName()));
            assertRefused(to, missing, "misses");
            assertThat(to.get("/api/v1/vms").json().size()).isZero();
            assertThat(b.resolve("disks")).doesNotExist();
            assertThat(b.resolve("vms").toFile().list()).isEmpty();

            // Import elsewhere: saved, and it resumes at its tick on the copied chain.
            JsonNode imported = to.awaitJob(to.post("/api/v1/vms/import", "{\"path\":\"" + pkg + "\"}"));
            assertThat(status(imported)).as(imported.toString()).isEqualTo("succeeded");
            JsonNode there = to.get("/api/v1/vms/mover").json();
            assertThat(there.get("state").asText()).isEqualTo("saved");
            Path copiedChild = Path.of(there.at("/disks/0/path").asText());
            assertThat(copiedChild).startsWith(b.resolve("disks"));
            assertThat(parentOf(copiedChild)).isEqualTo(copiedChild.resolveSibling("mover.vhdx"));
            assertThat(to.get("/api/v1/vms/mover/checkpoints")
                            .json()
                            .at("/checkpoints/0/name")
                            .asText())
                    .isEqualTo("clean");
            to.awaitJob(to.post("/api/v1/vms/mover/start", null));
            to.awaitConsole("mover", "resumed from its saved state, last tick #" + atSave);
            to.awaitJob(to.post("/api/v1/vms/mover/stop", null));
            assertRefused(to, pkg, "exists already"); // its id is taken now (a new id would import it again)

            // Refused by the destination (a VM of that name is there) or no destination: saved here.
            JsonNode refused = from.awaitJob(move(from, "mover", dst.url()));
            assertThat(status(refused)).isEqualTo("failed");
            assertThat(refused.get("message").asText()).contains("refused (409)", "exists already");
            assertThat(state(from, "mover")).isEqualTo("saved");
            JsonNode unreachable = from.awaitJob(move(from, "mover", "http://127.0.0.1:1/"));
            assertThat(status(unreachable)).isEqualTo("failed");
            assertThat(state(from, "mover")).isEqualTo("saved");
            assertThat(to.delete("/api/v1/vms/mover").status()).isEqualTo(204);

            // Moved while running: on at the destination from its saved tick, on the same disk; gone here.
            from.awaitJob(from.post("/api/v1/vms/mover/start", null));
            from.awaitConsole("mover", "tick " + (atSave + 3));
            JsonNode moved = from.awaitJob(move(from, "mover", dst.url()));
            assertThat(status(moved)).as(moved.toString()).isEqualTo("succeeded");
            assertThat(moved.get("message").asText()).contains("guest-visible pause", "on shared storage");
            System.out.println("quick migration: " + moved.get("message").asText());
            assertThat(from.get("/api/v1/vms/mover").status()).isEqualTo(404);
            assertThat(to.awaitState("mover", "running").at("/disks/0/path").asText())
                    .isEqualTo(child.toString());
            String console = to.awaitConsole("mover", "resumed from its saved state, last tick #");
            int movedAt = Integer.parseInt(console.replaceAll("(?s).*last tick #(\\d+).*", "$1"));
            assertThat(movedAt).isGreaterThan(atSave + 2);
            to.awaitConsole("mover", "tick " + (movedAt + 2));
            try (Stream<Path> left = Files.list(shared)) {
                assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")))
                        .as("no probe file left")
                        .isEmpty();
            }

            // SIGKILL after the mark, before the commit: back here on restart; nothing there.
            Path base = own.resolve("second.vhdx");
            Images.create(base, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 16 << 20, 0, null));
            create(from, "second", base);
            from.awaitJob(from.post("/api/v1/vms/second/checkpoints", "{\"name\":\"base\"}"));
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted", "-Dviridian.test.haltMove=marked");
            from = src.api();
            move(from, "second", dst.url());
            from.awaitState("second", "migrating");
            assertThat(from.post("/api/v1/vms/second/start", null).status()).isEqualTo(409);
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted", "-Dviridian.test.haltMove=committed");
            from = src.api();
            from.awaitState("second", "off");
            assertThat(to.get("/api/v1/vms/second").status()).isEqualTo(404);

            // SIGKILL after the commit, before the source removed its copy: gone here on restart, there on copies.
            move(from, "second", dst.url());
            JsonNode second = to.awaitState("second", "off");
            assertThat(state(from, "second")).isEqualTo("migrating");
            src.kill9();
            src = ServiceProcess.Running.start(a, "worker-scripted");
            awaitGone(src.api(), "second");
            Path secondChild = Path.of(second.at("/disks/0/path").asText());
            assertThat(secondChild).startsWith(b.resolve("disks"));
            assertThat(parentOf(secondChild)).isEqualTo(secondChild.resolveSibling("second.vhdx"));

            // The destination SIGKILLed at its commit point (registered, nothing answered): the source cannot tell, so
            // the VM stays migrating here; once the destination is back (same address) the source asks again, hears
            // "committed" (from the VM's own mark: the outcome was never recorded) and removes its copy.
            from = src.api();
            create(from, "third", null);
            int port;
            try (var s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            String at = "-Dviridian.test.port=" + port;
            dst.kill9();
            dst = ServiceProcess.Running.start(b, "worker-scripted", at, "-Dviridian.test.haltCommit=registered");
            ApiClient.Response moving = move(from, "third", dst.url());
            ApiClient parked = dst.api();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (parked.get("/api/v1/vms/third").status() != 200 && System.nanoTime() < deadline) Thread.sleep(50);
            dst.kill9();
            JsonNode pending = from.awaitJob(moving);
            assertThat(status(pending)).isEqualTo("failed"); // (the job ends once the connection drops)
            assertThat(pending.get("message").asText()).contains("stays migrating");
            assertThat(state(from, "third")).isEqualTo("migrating");
            dst = ServiceProcess.Running.start(b, "worker-scripted", at);
            awaitGone(from, "third");
            assertThat(state(dst.api(), "third")).isEqualTo("off");
        } finally {
            if (src.process().isAlive()) src.kill9();
            if (dst.process().isAlive()) dst.kill9();
            ServiceProcess.killWorkers(a);
            ServiceProcess.killWorkers(b);
        }
    }

    private static void create(ApiClient api, String name, Path disk) {
        ApiClient.Response r = api.post(
                "/api/v1/vms",
                "{\"name\":\"" + name + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"ticker\"},"
                        + (disk == null ? "\"disks\":[]}" : "\"disks\":[{\"path\":\"" + disk + "\"}]}"));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
    }

    private static ApiClient.Response move(ApiClient api, String vm, String url) {
        ApiClient.Response r = api.post("/api/v1/vms/" + vm + "/move", "{\"destination\":\"" + url + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r;
    }

    private static void assertRefused(ApiClient api, Path pkg, String why) {
        JsonNode j = api.awaitJob(api.post("/api/v1/vms/import", "{\"path\":\"" + pkg + "\"}"));
        assertThat(status(j)).as(j.toString()).isEqualTo("failed");
        assertThat(j.get("message").asText()).contains(why);
    }

    private static String status(JsonNode job) {
        return job.get("status").asText();
    }

    private static String state(ApiClient api, String vm) {
        return api.get("/api/v1/vms/" + vm).json().get("state").asText();
    }

    private static void awaitGone(ApiClient api, String vm) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (api.get("/api/v1/vms/" + vm).status() != 404) {
            if (System.nanoTime() > deadline) throw new AssertionError(vm + " is still here");
            Thread.sleep(50);
        }
    }

    private static Path parentOf(Path image) throws IOException {
        try (DiskImage d = Images.open(image, true)) {
            return Path.of(d.info().parent());
        }
    }

    private static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        return to;
    }

    /** The scripted guest's tick count in its console. */
    private static final class SaveRestoreTestTicks {
        static int last(String console) {
            var m = java.util.regex.Pattern.compile("tick (\\d+)").matcher(console);
            int last = 0;
            while (m.find()) last = Integer.parseInt(m.group(1));
            return last;
        }
    }
}
