package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;

/**
 * Standard checkpoints through the REST API on real VHDX files (the scripted engine's guest does not write to its
 * disks, so the test writes to whatever image the VM's definition names at that moment, as a guest would): taking one
 * freezes the disk and moves the VM to a differencing child; applying one brings the disk (and, for a checkpoint of a
 * running VM, its saved state) back; deleting one merges its layer so that every write stays; the tree and the
 * present's place in it are listed; a raw disk cannot be checkpointed.
 */
class CheckpointTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    @Test
    void checkpointsFreezeApplyAndMergeDisksAndKeepEveryWrite() throws Exception {
        Path base = dir.resolve("web.vhdx");
        Images.create(base, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 16 << 20, 0, null));
        write(base, 0, "A");
        try (TestService s = TestService.scripted()) {
            ApiClient api = this.api = s.api;
            api.post(
                    "/api/v1/vms",
                    "{\"name\":\"web\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"ticker\"},"
                            + "\"disks\":[{\"path\":\"" + base + "\"}]}");

            // Off: the disk is frozen, the VM goes on on a child.
            assertThat(job(api.post("/api/v1/vms/web/checkpoints", "{\"name\":\"clean\"}")))
                    .isEqualTo("succeeded");
            Path child1 = disk(api);
            assertThat(child1.getFileName().toString()).matches("web_[0-9a-f]{8}\\.avhdx");
            assertThat(parentOf(child1)).isEqualTo(base);
            write(child1, 0, "B");
            write(child1, 1, "C");
            assertThat(read(base, 0)).isEqualTo("A");

            // Running: saved, checkpointed with its state, resumed on the next child.
            api.awaitJob(api.post("/api/v1/vms/web/start", null));
            api.awaitConsole("web", "tick 3");
            assertThat(job(api.post("/api/v1/vms/web/checkpoints", "{\"name\":\"busy\"}")))
                    .isEqualTo("succeeded");
            assertThat(api.get("/api/v1/vms/web").json().get("state").asText()).isEqualTo("running");
            assertThat(api.get("/api/v1/vms/web/console").body()).contains("resumed from its saved state");
            Path child2 = disk(api);
            assertThat(parentOf(child2)).isEqualTo(child1);
            api.awaitJob(api.post("/api/v1/vms/web/stop", null));
            write(child2, 0, "D");

            JsonNode tree = api.get("/api/v1/vms/web/checkpoints").json();
            assertThat(tree.at("/checkpoints/0/name").asText()).isEqualTo("clean");
            assertThat(tree.at("/checkpoints/0/hasState").asBoolean()).isFalse();
            assertThat(tree.at("/checkpoints/1/name").asText()).isEqualTo("busy");
            assertThat(tree.at("/checkpoints/1/hasState").asBoolean()).isTrue();
            assertThat(tree.at("/checkpoints/1/parent").asText())
                    .isEqualTo(tree.at("/checkpoints/0/id").asText());
            assertThat(tree.get("current").asText())
                    .isEqualTo(tree.at("/checkpoints/1/id").asText());

            // Applying "clean": the disk as it was then (the present's own layer, "D", is discarded); the VM is off.
            assertThat(job(api.post("/api/v1/vms/web/checkpoints/clean/apply", null)))
                    .isEqualTo("succeeded");
            assertThat(child2).doesNotExist();
            Path applied = disk(api);
            assertThat(parentOf(applied)).isEqualTo(base);
            assertThat(read(applied, 0)).isEqualTo("A");
            assertThat(read(applied, 1)).isEmpty();
            assertThat(api.get("/api/v1/vms/web").json().get("state").asText()).isEqualTo("off");

            // Applying "busy": its disk, and the VM saved, so that start resumes it there.
            assertThat(job(api.post("/api/v1/vms/web/checkpoints/busy/apply", null)))
                    .isEqualTo("succeeded");
            assertThat(applied).doesNotExist();
            Path current = disk(api);
            assertThat(read(current, 0)).isEqualTo("B");
            assertThat(api.get("/api/v1/vms/web").json().get("state").asText()).isEqualTo("saved");
            api.awaitJob(api.post("/api/v1/vms/web/start", null));
            assertThat(api.get("/api/v1/vms/web").json().get("state").asText()).isEqualTo("running");
            api.awaitJob(api.post("/api/v1/vms/web/stop", null));
            write(current, 1, "E");

            // Deleting "clean" merges its layer (child1) into the image it froze; nothing written is lost.
            assertThat(job(api.delete("/api/v1/vms/web/checkpoints/clean"))).isEqualTo("succeeded");
            assertThat(child1).doesNotExist();
            assertThat(parentOf(disk(api))).isEqualTo(base);
            assertThat(read(disk(api), 0)).isEqualTo("B");
            assertThat(read(disk(api), 1)).isEqualTo("E");
            assertThat(read(base, 1)).isEqualTo("C");
            tree = api.get("/api/v1/vms/web/checkpoints").json();
            assertThat(tree.get("checkpoints")).hasSize(1);
            assertThat(tree.at("/checkpoints/0/parent").isNull()).isTrue();
            assertThat(tree.at("/checkpoints/0/config/disks/0/path").asText()).isEqualTo(base.toString());

            assertThat(api.patch("/api/v1/vms/web/checkpoints/busy", "{\"name\":\"golden\"}")
                            .status())
                    .isEqualTo(200);
            assertThat(api.get("/api/v1/vms/web/checkpoints")
                            .json()
                            .at("/checkpoints/0/name")
                            .asText())
                    .isEqualTo("golden");

            // A raw disk cannot take a differencing child: refused, nothing changed.
            Path raw = dir.resolve("raw.img");
            Images.create(raw, new CreateOptions(ImageFormat.RAW, ImageType.FIXED, 1 << 20, 0, null));
            api.post(
                    "/api/v1/vms",
                    "{\"name\":\"flat\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\"},\"disks\":[{\"path\":\""
                            + raw + "\"}]}");
            JsonNode refused = api.awaitJob(api.post("/api/v1/vms/flat/checkpoints", null));
            assertThat(refused.get("status").asText()).isEqualTo("failed");
            assertThat(refused.get("message").asText()).contains("checkpoints need VHD or VHDX");
        }
    }

    /** The job's outcome, with its message when it failed (so a failure says why). */
    private String job(ApiClient.Response accepted) {
        JsonNode j = api.awaitJob(accepted);
        String status = j.get("status").asText();
        return status.equals("succeeded")
                ? status
                : status + ": " + j.get("message").asText();
    }

    private ApiClient api;

    private static Path disk(ApiClient api) {
        return Path.of(api.get("/api/v1/vms/web").json().at("/disks/0/path").asText());
    }

    private static Path parentOf(Path image) throws IOException {
        try (DiskImage d = Images.open(image, true)) {
            return Path.of(d.info().parent());
        }
    }

    private static void write(Path image, int block, String text) throws IOException {
        try (DiskImage d = Images.open(image, false)) {
            ByteBuffer b = ByteBuffer.allocate(BLOCK);
            b.put(text.getBytes(StandardCharsets.US_ASCII)).clear();
            d.write(b, (long) block * BLOCK);
            d.flush();
        }
    }

    /** The text at the start of a block, up to its first zero byte. */
    private static String read(Path image, int block) throws IOException {
        try (DiskImage d = Images.open(image, true)) {
            ByteBuffer b = ByteBuffer.allocate(BLOCK);
            d.read(b, (long) block * BLOCK);
            byte[] a = b.array();
            int n = 0;
            while (n < a.length && a[n] != 0) n++;
            return new String(a, 0, n, StandardCharsets.US_ASCII);
        }
    }
}
