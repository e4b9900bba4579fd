package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ServiceProcess;
import org.viridian.management.testing.TestService;
import org.viridian.management.testing.Ticks;

/**
 * Save-VM and resume through the service and real worker processes, no KVM (the scripted engine's guest ticks; its
 * state is the tick): a saved VM's worker is gone and its state file lies beside its definition; start resumes it
 * where it stopped; its hardware cannot change while saved; a damaged state is refused and kept as it is, the VM still
 * saved; stop discards the state. The real engine's state file and a real guest's resume are tested apart
 * (StateFileTest; the nested-KVM save/restore test).
 */
class SaveRestoreTest {

    @Test
    void aSavedVmResumesWhereItStoppedAndADamagedStateIsRefusedAndKept() throws Exception {
        Path dir = TestService.tempDir();
        ServiceProcess.Running service = ServiceProcess.Running.start(dir, "worker-scripted");
        try {
            ApiClient api = service.api();
            ApiClient.Response created = api.post(
                    "/api/v1/vms",
                    "{\"name\":\"keeper\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"ticker\"}}");
            String id = created.json().get("id").asText();
            api.awaitJob(api.post("/api/v1/vms/keeper/start", null));
            api.awaitConsole(id, "tick 5");
            long worker = RuntimeDir.of(dir, id).pid().orElseThrow();

            JsonNode save = api.awaitJob(api.post("/api/v1/vms/keeper/save", null));
            assertThat(save.get("status").asText()).as(save.toString()).isEqualTo("succeeded");
            JsonNode saved = api.get("/api/v1/vms/keeper").json();
            assertThat(saved.get("state").asText()).isEqualTo("saved");
            Path state = dir.resolve("vms").resolve(id).resolve("saved-state.vmrs");
            assertThat(state).exists();
            ProcessHandle.of(worker).ifPresent(h -> h.onExit().join());
            int atSave = Ticks.last(api.get("/api/v1/vms/" + id + "/console").body());
            assertThat(Files.readString(state)).contains("keeper\n" + atSave + "\n");

            // The saved state holds the hardware: no changes until it is resumed or discarded.
            assertThat(api.patch("/api/v1/vms/keeper", "{\"cpus\":2}").status()).isEqualTo(409);
            // Nor its name: the state names the VM it belongs to.
            ApiClient.Response rename = api.patch("/api/v1/vms/keeper", "{\"name\":\"renamed\"}");
            assertThat(rename.status()).isEqualTo(409);
            assertThat(rename.body()).contains("saved state is bound to its name");
            assertThat(api.get("/api/v1/vms/keeper").status()).isEqualTo(200);

            JsonNode start = api.awaitJob(api.post("/api/v1/vms/keeper/start", null));
            assertThat(start.get("status").asText()).as(start.toString()).isEqualTo("succeeded");
            String console = api.awaitConsole(id, "tick " + (atSave + 3));
            assertThat(console).contains("resumed from its saved state, last tick #" + atSave);
            assertThat(Ticks.count(console))
                    .as("every tick once: on from where it was saved")
                    .isEqualTo(Ticks.last(console));
            assertThat(state).as("a resumed VM's state is spent").doesNotExist();

            // Saved again, then damaged: refused, the VM stays saved and the file is left exactly as it was.
            api.awaitJob(api.post("/api/v1/vms/keeper/save", null));
            byte[] good = Files.readAllBytes(state);
            byte[] bad = good.clone();
            int at = new String(good).indexOf('\n', 18) + 1; // first character of the tick
            bad[at + 1 < bad.length ? at : 0] ^= 0x01;
            Files.write(state, bad);
            JsonNode refused = api.awaitJob(api.post("/api/v1/vms/keeper/start", null));
            assertThat(refused.get("status").asText()).isEqualTo("failed");
            assertThat(refused.toString()).contains("corrupt");
            JsonNode still = api.get("/api/v1/vms/keeper").json();
            assertThat(still.get("state").asText()).isEqualTo("saved");
            assertThat(still.at("/lastExit/reason").asText()).startsWith("failed to restore");
            assertThat(Files.readAllBytes(state)).isEqualTo(bad);

            // Stop discards the saved state; the next start boots afresh.
            Files.write(state, good);
            api.awaitJob(api.post("/api/v1/vms/keeper/stop", null));
            assertThat(api.get("/api/v1/vms/keeper").json().get("state").asText())
                    .isEqualTo("off");
            assertThat(state).doesNotExist();
        } finally {
            if (service.process().isAlive()) service.kill9();
            ServiceProcess.killWorkers(dir);
        }
    }
}
