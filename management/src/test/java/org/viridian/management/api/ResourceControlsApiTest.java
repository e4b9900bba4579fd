package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.management.api.VmApiTest.assertError;
import static org.viridian.management.api.VmApiTest.assertField;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.resources.ControlsStatus;
import org.viridian.management.resources.HostResources;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/**
 * Resource controls and admission control through the REST API, on a service whose engine is scripted: the VMs run in
 * the service's process here, so their controls are kept and the answer says they do not hold; admission counts this
 * host's real /proc/meminfo and processors.
 */
class ResourceControlsApiTest {
    private static TestService service;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static JsonNode create(ApiClient api, String body) {
        ApiClient.Response r = api.post("/api/v1/vms", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    @Test
    void settingsRoundTripThroughCreatePatchAndTheStateDirectory() throws Exception {
        JsonNode vm = create(
                api,
                "{\"name\":\"" + unique("res") + "\",\"memory\":\"256M\",\"resources\":{\"processorAffinity\":\"1, 0\","
                        + "\"cpuLimit\":50,\"cpuReserve\":10,\"cpuRelativeWeight\":300,\"memoryLimit\":\"1G\"}}");
        String id = vm.get("id").asText();
        assertThat(vm.at("/resources/processorAffinity").asText()).isEqualTo("0-1");
        assertThat(vm.at("/resources/cpuLimit").asInt()).isEqualTo(50);
        assertThat(vm.at("/resources/cpuReserve").asInt()).isEqualTo(10);
        assertThat(vm.at("/resources/cpuRelativeWeight").asInt()).isEqualTo(300);
        assertThat(vm.at("/resources/memoryLimitBytes").asLong()).isEqualTo(1L << 30);
        assertThat(vm.at("/resources/memoryLimit").asText()).isEqualTo("1G");
        assertThat(vm.get("resourceControls").isNull())
                .as("only a running VM has controls")
                .isTrue();

        // A PATCH changes what it names and keeps the rest.
        JsonNode changed = api.patch("/api/v1/vms/" + id, "{\"resources\":{\"cpuLimit\":80,\"memoryLimit\":\"none\"}}")
                .json();
        assertThat(changed.at("/resources/cpuLimit").asInt()).isEqualTo(80);
        assertThat(changed.at("/resources/memoryLimit").asText()).isEqualTo("none");
        assertThat(changed.at("/resources/cpuRelativeWeight").asInt()).isEqualTo(300);
        assertThat(changed.at("/resources/processorAffinity").asText()).isEqualTo("0-1");
        changed = api.patch("/api/v1/vms/" + id, "{\"resources\":{\"processorAffinity\":\"\"}}")
                .json();
        assertThat(changed.at("/resources/processorAffinity").isNull()).isTrue();
        String onDisk =
                Files.readString(service.stateDir.resolve("vms").resolve(id).resolve("config.json"));
        JsonNode stored = org.viridian.management.config.Json.mapper().readTree(onDisk);
        assertThat(stored.at("/resources/cpuLimit").asInt()).isEqualTo(80);
        assertThat(stored.at("/resources/cpuRelativeWeight").asInt()).isEqualTo(300);

        // A VM made without them has Hyper-V's defaults.
        JsonNode plain = create(api, "{\"name\":\"" + unique("plain") + "\"}");
        assertThat(plain.get("resources").toString())
                .isEqualTo("{\"processorAffinity\":null,\"cpuLimit\":100,\"cpuReserve\":0,\"cpuRelativeWeight\":100,"
                        + "\"memoryLimitBytes\":0,\"memoryLimit\":\"none\"}");
    }

    @Test
    void badSettingsNameTheirField() {
        String base = "{\"name\":\"" + unique("bad") + "\",\"memory\":\"128M\",\"resources\":";
        assertField(api.post("/api/v1/vms", base + "{\"cpuLimit\":0}}"), "resources.cpuLimit");
        assertField(api.post("/api/v1/vms", base + "{\"cpuLimit\":101}}"), "resources.cpuLimit");
        assertField(api.post("/api/v1/vms", base + "{\"cpuReserve\":-1}}"), "resources.cpuReserve");
        assertField(api.post("/api/v1/vms", base + "{\"cpuLimit\":50,\"cpuReserve\":60}}"), "resources.cpuReserve");
        assertField(api.post("/api/v1/vms", base + "{\"cpuRelativeWeight\":0}}"), "resources.cpuRelativeWeight");
        assertField(api.post("/api/v1/vms", base + "{\"cpuRelativeWeight\":10001}}"), "resources.cpuRelativeWeight");
        assertField(api.post("/api/v1/vms", base + "{\"processorAffinity\":\"3-1\"}}"), "resources.processorAffinity");
        assertField(api.post("/api/v1/vms", base + "{\"processorAffinity\":\"a\"}}"), "resources.processorAffinity");
        assertField(api.post("/api/v1/vms", base + "{\"memoryLimit\":\"lots\"}}"), "resources.memoryLimit");
        ApiClient.Response low = api.post("/api/v1/vms", base + "{\"memoryLimit\":\"200M\"}}");
        assertField(low, "resources.memoryLimit");
        assertThat(low.json().at("/error/message").asText())
                .isEqualTo("memoryLimit 200 MiB is below what the VM needs: 128 MiB of memory + 129 MiB for its VMM"
                        + " (128 MiB + 1/256 of its memory) = 257 MiB");
        // Raising the memory past the limit is refused the same way.
        String id = create(api, base + "{\"memoryLimit\":\"512M\"}}").get("id").asText();
        assertField(api.patch("/api/v1/vms/" + id, "{\"memory\":\"1G\"}"), "resources.memoryLimit");
    }

    @Test
    void aRunningVmInTheServicesProcessKeepsItsSettingsAndSaysTheyDoNotHold() {
        String id = create(api, "{\"name\":\"" + unique("inproc") + "\",\"resources\":{\"cpuLimit\":50}}")
                .get("id")
                .asText();
        assertThat(api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null))
                        .get("status")
                        .asText())
                .isEqualTo("succeeded");
        JsonNode running = api.awaitState(id, "running");
        assertThat(running.at("/resourceControls/applied").asBoolean()).isFalse();
        assertThat(running.at("/resourceControls/reason").asText()).isEqualTo(ControlsStatus.IN_PROCESS);
        // Settings change while it runs (they are not hardware).
        JsonNode changed = api.patch("/api/v1/vms/" + id, "{\"resources\":{\"cpuLimit\":30,\"cpuRelativeWeight\":50}}")
                .json();
        assertThat(changed.at("/resources/cpuLimit").asInt()).isEqualTo(30);
        assertThat(changed.at("/resourceControls/applied").asBoolean()).isFalse();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        assertThat(api.awaitState(id, "off").get("resourceControls").isNull()).isTrue();
    }

    @Test
    void aVmBiggerThanTheHostIsRefusedAtStartNamingTheFigures() {
        long total = HostResources.read().memTotal();
        String name = unique("huge");
        String id = create(api, "{\"name\":\"" + name + "\",\"memory\":\"1T\"}")
                .get("id")
                .asText();
        ApiClient.Response refused = api.post("/api/v1/vms/" + id + "/start", null);
        assertError(refused, 409, "insufficient_resources");
        assertThat(refused.json().at("/error/message").asText())
                .startsWith(
                        "VM '" + name + "' needs 1.0 TiB (1 TiB of memory + 4.1 GiB for its VMM); the" + " host has ")
                .contains(" left for VMs: " + org.viridian.management.config.Sizes.human(total) + " total, ")
                .contains(" kept for the root partition, ")
                .contains("over-commit");
        assertThat(api.get("/api/v1/vms/" + id).json().get("state").asText()).isEqualTo("off");

        JsonNode host = api.get("/api/v1/host").json().get("resources");
        assertThat(host.get("memTotalBytes").asLong()).isEqualTo(total);
        assertThat(host.get("memoryOvercommit").asBoolean()).isFalse();
        assertThat(host.get("logicalProcessors").asInt()).isPositive();
        assertThat(host.get("cgroups").asText()).isNotBlank();
    }

    @Test
    void moreVirtualProcessorsThanTheHostHasAreRefused() {
        int lps = HostResources.read().logicalProcessors();
        String name = unique("wide");
        String id = create(api, "{\"name\":\"" + name + "\",\"cpus\":" + (lps + 1) + "}")
                .get("id")
                .asText();
        ApiClient.Response refused = api.post("/api/v1/vms/" + id + "/start", null);
        assertError(refused, 409, "insufficient_resources");
        assertThat(refused.json().at("/error/message").asText())
                .isEqualTo("VM '" + name + "' has " + (lps + 1) + " virtual processors; the host has "
                        + lps + " logical processor" + (lps == 1 ? "" : "s")
                        + " (a VM never gets more VPs than that)");
    }

    @Test
    void memoryOvercommitOnTheServiceLetsTheBigVmStart() {
        try (TestService overcommit = TestService.scriptedWithMemoryOvercommit()) {
            ApiClient a = overcommit.api;
            assertThat(a.get("/api/v1/host")
                            .json()
                            .at("/resources/memoryOvercommit")
                            .asBoolean())
                    .isTrue();
            String id =
                    create(a, "{\"name\":\"huge\",\"memory\":\"1T\"}").get("id").asText();
            JsonNode job = a.awaitJob(a.post("/api/v1/vms/" + id + "/start", null));
            assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
            a.awaitState(id, "running");
            JsonNode host = a.get("/api/v1/host").json().get("resources");
            assertThat(host.get("activeVms").asInt()).isEqualTo(1);
            assertThat(host.get("givenToVmsBytes").asLong()).isEqualTo((1L << 40) + (128L << 20) + (4L << 30));
            a.awaitJob(a.post("/api/v1/vms/" + id + "/stop", null));
        }
    }
}
