package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/** Every VM endpoint against a real service (HTTP, state directory) whose engine is scripted (no KVM here). */
class VmApiTest {
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

    private static JsonNode create(String body) {
        ApiClient.Response r = api.post("/api/v1/vms", body);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    @Test
    void createShowListUpdateDelete() {
        String name = unique("web");
        JsonNode vm = create("{\"name\":\"" + name + "\",\"cpus\":2,\"memory\":\"128M\",\"notes\":\"first\","
                + "\"networkAdapters\":[{\"switchName\":\"nat\"}]}");
        String id = vm.get("id").asText();
        assertThat(vm.get("state").asText()).isEqualTo("off");
        assertThat(vm.get("memoryBytes").asLong()).isEqualTo(128L << 20);
        assertThat(vm.get("memory").asText()).isEqualTo("128M");
        assertThat(vm.at("/boot/type").asText()).isEqualTo("demo");
        assertThat(vm.at("/networkAdapters/0/mac").asText()).startsWith("00:15:5D:");
        assertThat(vm.at("/integrationServices/heartbeat").asBoolean()).isTrue();

        assertThat(api.get("/api/v1/vms/" + id).json().get("name").asText()).isEqualTo(name);
        assertThat(api.get("/api/v1/vms/" + name).json().get("id").asText()).isEqualTo(id); // by name too
        assertThat(api.get("/api/v1/vms").json().findValuesAsText("id")).contains(id);

        JsonNode changed = api.patch("/api/v1/vms/" + id, "{\"cpus\":4,\"notes\":\"second\"}")
                .json();
        assertThat(changed.get("cpus").asInt()).isEqualTo(4);
        assertThat(changed.get("memory").asText()).isEqualTo("128M");
        assertThat(changed.get("notes").asText()).isEqualTo("second");

        assertThat(api.delete("/api/v1/vms/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/vms/" + id).status()).isEqualTo(404);
        assertThat(Files.exists(service.stateDir.resolve("vms").resolve(id))).isFalse();
    }

    @Test
    void theDefinitionIsOnDiskBeforeTheAnswer() throws Exception {
        JsonNode vm = create("{\"name\":\"" + unique("disk") + "\"}");
        Path config =
                service.stateDir.resolve("vms").resolve(vm.get("id").asText()).resolve("config.json");
        assertThat(Files.readString(config)).contains(vm.get("name").asText());
    }

    @Test
    void theFlightRecorderIsReadFromRunningVmsOnlyAndSaysWhyNot() {
        String id = create("{\"name\":\"" + unique("rec") + "\"}").get("id").asText();
        ApiClient.Response off = api.get("/api/v1/vms/" + id + "/flight-recorder");
        assertThat(off.status()).isEqualTo(409);
        assertThat(off.json().at("/error/message").asText()).contains("is off").contains("crash report");
        assertThat(api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null))
                        .get("status")
                        .asText())
                .isEqualTo("succeeded");
        // The scripted engine runs no processors, so it has nothing to record and says so (the KVM engine's
        // recorder is read in the nested host: NestedManagementIT).
        ApiClient.Response scripted = api.get("/api/v1/vms/" + id + "/flight-recorder");
        assertThat(scripted.status()).isEqualTo(409);
        assertThat(scripted.json().at("/error/code").asText()).isEqualTo("not_supported");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    @Test
    void lifeCycleStartPauseResumeResetStop() {
        String id = create("{\"name\":\"" + unique("life") + "\",\"cpus\":2}")
                .get("id")
                .asText();
        JsonNode job = api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        assertThat(job.get("status").asText()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("progress").asInt()).isEqualTo(100);
        api.awaitState(id, "running");
        api.awaitConsole(id, "cpus online: 2");

        assertThat(api.post("/api/v1/vms/" + id + "/pause", null)
                        .json()
                        .get("state")
                        .asText())
                .isEqualTo("paused");
        assertThat(api.post("/api/v1/vms/" + id + "/pause", null).status()).isEqualTo(409);
        assertThat(api.post("/api/v1/vms/" + id + "/resume", null)
                        .json()
                        .get("state")
                        .asText())
                .isEqualTo("running");

        // Hardware cannot change while it runs; notes can.
        assertError(api.patch("/api/v1/vms/" + id, "{\"cpus\":1}"), 409, "invalid_state");
        assertThat(api.patch("/api/v1/vms/" + id, "{\"notes\":\"busy\"}").status())
                .isEqualTo(200);
        assertError(api.delete("/api/v1/vms/" + id), 409, "invalid_state");
        assertError(api.post("/api/v1/vms/" + id + "/start", null), 409, "invalid_state");

        assertThat(api.awaitJob(api.post("/api/v1/vms/" + id + "/reset", null))
                        .get("status")
                        .asText())
                .isEqualTo("succeeded");
        api.awaitState(id, "running");

        JsonNode graceful = api.awaitJob(api.post("/api/v1/vms/" + id + "/stop?mode=graceful", null));
        assertThat(graceful.get("message").asText())
                .contains("no shutdown integration service")
                .contains("powered off hard");
        JsonNode off = api.awaitState(id, "off");
        assertThat(off.at("/lastExit/reason").asText()).isEqualTo("shut down by the host");
        assertError(api.post("/api/v1/vms/" + id + "/stop", null), 409, "invalid_state");
        assertError(api.post("/api/v1/vms/" + id + "/resume", null), 409, "invalid_state");
        assertError(api.post("/api/v1/vms/" + id + "/stop?mode=sideways", null), 400, "invalid_argument");
    }

    @Test
    void gracefulStopAsksAGuestWithTheShutdownServiceAndItShutsDown() {
        String id = create("{\"name\":\"" + unique("ic") + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\","
                        + "\"cmdline\":\"ic-shutdown\"}}")
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        JsonNode job = api.awaitJob(api.post("/api/v1/vms/" + id + "/stop?mode=graceful", null));
        assertThat(job.get("status").asText()).isEqualTo("succeeded");
        assertThat(job.get("message").asText()).isEqualTo("the guest shut down");
        assertThat(api.awaitState(id, "off").at("/lastExit/reason").asText()).isEqualTo("the guest powered off");
        api.awaitConsole(id, "shutdown requested by the host");
        // With the service switched off in the VM's settings the host does not ask; it powers off hard.
        api.patch(
                "/api/v1/vms/" + id,
                "{\"integrationServices\":{\"heartbeat\":true,\"shutdown\":false,"
                        + "\"timeSync\":true,\"keyValueExchange\":true,\"guestServices\":false}}");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        assertThat(api.awaitJob(api.post("/api/v1/vms/" + id + "/stop?mode=graceful", null))
                        .get("message")
                        .asText())
                .contains("powered off hard");
    }

    @Test
    void aRunningGuestsHeartbeatAndKvpAnswersAreShownAndOnlyWhileItRuns() {
        String id = create("{\"name\":\"" + unique("kvp") + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\","
                        + "\"cmdline\":\"ic-heartbeat ic-kvp\"}}")
                .get("id")
                .asText();
        assertThat(api.get("/api/v1/vms/" + id).json().path("guest").isNull())
                .as("off: nothing to say")
                .isTrue();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        JsonNode guest = api.get("/api/v1/vms/" + id).json().path("guest");
        assertThat(guest.path("heartbeat").asText()).isEqualTo("ok");
        assertThat(guest.path("lastHeartbeat").isTextual()).isTrue();
        assertThat(guest.path("kvp").asText()).isEqualTo("ok");
        assertThat(guest.path("osName").asText()).isEqualTo("Scripted GNU/Linux");
        assertThat(guest.path("fullyQualifiedDomainName").asText()).isEqualTo("scripted.example");
        assertThat(guest.path("ipv4Addresses")).extracting(JsonNode::asText).containsExactly("10.0.0.5", "192.168.7.9");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop?mode=hard", null));
        // With heartbeat and KVP switched off the host says so instead.
        api.patch(
                "/api/v1/vms/" + id,
                "{\"integrationServices\":{\"heartbeat\":false,\"shutdown\":true,"
                        + "\"timeSync\":true,\"keyValueExchange\":false,\"guestServices\":false}}");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        guest = api.get("/api/v1/vms/" + id).json().path("guest");
        assertThat(guest.path("heartbeat").asText()).isEqualTo("notOffered");
        assertThat(guest.path("kvp").asText()).isEqualTo("notOffered");
        assertThat(guest.path("osName").isNull()).isTrue();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop?mode=hard", null));
    }

    @Test
    void aGuestThatPowersOffEndsOffWithItsReason() {
        String id = create(
                        "{\"name\":\"" + unique("po") + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"poweroff.elf\"}}")
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        JsonNode off = api.awaitState(id, "off");
        assertThat(off.at("/lastExit/reason").asText()).isEqualTo("the guest powered off");
        assertThat(off.at("/lastExit/exitStatus").asInt()).isZero();
    }

    @Test
    void aCrashIsReportedAndStopClearsIt() {
        String id = create(
                        "{\"name\":\"" + unique("crash") + "\",\"boot\":{\"type\":\"demo\",\"guest\":\"fault.elf\"}}")
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        JsonNode crashed = api.awaitState(id, "crashed");
        assertThat(crashed.at("/lastExit/crashReport").asText()).contains("triple fault");
        assertError(api.post("/api/v1/vms/" + id + "/pause", null), 409, "invalid_state");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        api.awaitState(id, "off");
    }

    @Test
    void disksAttachAndDetachWhileOffAndWhileRunning() throws Exception {
        Path img = Files.createTempFile("disk", ".vhdx");
        String id = create("{\"name\":\"" + unique("disks") + "\"}").get("id").asText();
        ApiClient.Response r = api.post("/api/v1/vms/" + id + "/disks", "{\"path\":\"" + img + "\",\"readOnly\":true}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().at("/disks/0/slot").asInt()).isZero();
        assertThat(api.get("/api/v1/vms/" + id + "/disks")
                        .json()
                        .get(0)
                        .get("path")
                        .asText())
                .isEqualTo(img.toString());
        assertError(api.post("/api/v1/vms/" + id + "/disks", "{\"path\":\"" + img + "\"}"), 400, "invalid_argument");
        assertError(
                api.post("/api/v1/vms/" + id + "/disks", "{\"path\":\"/no/such/disk.vhdx\"}"), 400, "invalid_argument");
        assertError(api.post("/api/v1/vms/" + id + "/disks", "{\"path\":\"relative.vhd\"}"), 400, "invalid_argument");
        assertError(api.delete("/api/v1/vms/" + id + "/disks/7"), 404, "not_found");
        assertError(api.delete("/api/v1/vms/" + id + "/disks/x"), 400, "invalid_argument");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitState(id, "running");
        // Hot remove and hot add reach the running VM (the scripted guest prints what its SCSI bus saw).
        assertThat(api.delete("/api/v1/vms/" + id + "/disks/0").json().get("disks"))
                .isEmpty();
        Path second = Files.createTempFile("disk", ".vhdx");
        ApiClient.Response hot = api.post("/api/v1/vms/" + id + "/disks", "{\"path\":\"" + second + "\",\"slot\":3}");
        assertThat(hot.status()).as(hot.body()).isEqualTo(201);
        String console = api.get("/api/v1/vms/" + id + "/console").body();
        assertThat(console).contains("scsi: disk removed from LUN 0").contains("scsi: disk added at LUN 3: " + second);
        assertThat(api.post("/api/v1/vms/" + id + "/pause", null).status()).isEqualTo(200);
        assertError(api.delete("/api/v1/vms/" + id + "/disks/3"), 409, "invalid_state");
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        api.awaitState(id, "off");
        assertThat(api.delete("/api/v1/vms/" + id + "/disks/3").json().get("disks"))
                .isEmpty();
    }

    @Test
    void diskLimitsAreSetOnAttachChangedOffAndRunningAndValidated() throws Exception {
        Path img = Files.createTempFile("disk", ".vhdx");
        String id = create("{\"name\":\"" + unique("qos") + "\"}").get("id").asText();
        String disk = "/api/v1/vms/" + id + "/disks";
        ApiClient.Response r =
                api.post(disk, "{\"path\":\"" + img + "\",\"maxIops\":500,\"maxBytesPerSecond\":\"50M\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().at("/disks/0/maxIops").asLong()).isEqualTo(500);
        assertThat(r.json().at("/disks/0/maxBytesPerSecond").asLong()).isEqualTo(50L << 20);

        // Absent fields stay; "none" and 0 lift a limit.
        JsonNode changed = api.patch(disk + "/0", "{\"maxIops\":200}").json();
        assertThat(changed.at("/disks/0/maxIops").asLong()).isEqualTo(200);
        assertThat(changed.at("/disks/0/maxBytesPerSecond").asLong()).isEqualTo(50L << 20);
        assertThat(api.patch(disk + "/0", "{\"maxBytesPerSecond\":\"none\"}")
                        .json()
                        .at("/disks/0/maxBytesPerSecond")
                        .asLong())
                .isZero();
        assertThat(api.get(disk).json().get(0).get("maxIops").asLong()).isEqualTo(200);

        // Validation: each bad value is a 400 naming the field, and changes nothing.
        assertError(api.patch(disk + "/0", "{\"maxIops\":-1}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"maxIops\":1000000000000}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"maxBytesPerSecond\":\"fast\"}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"maxBytesPerSecond\":\"4T\"}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"maxBytesPerSecond\":-5}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"maxIops\":\"many\"}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "{\"bandwidth\":1}"), 400, "invalid_argument");
        assertError(api.patch(disk + "/0", "null"), 400, "invalid_argument");
        assertError(api.patch(disk + "/9", "{\"maxIops\":1}"), 404, "not_found");
        assertError(api.patch(disk + "/x", "{\"maxIops\":1}"), 400, "invalid_argument");
        Path other = Files.createTempFile("disk", ".vhdx");
        assertError(api.post(disk, "{\"path\":\"" + other + "\",\"maxIops\":-3}"), 400, "invalid_argument");
        ApiClient.Response message = api.patch(disk + "/0", "{\"maxIops\":-1}");
        assertThat(message.json().at("/error/message").asText()).contains("maxIops");
        JsonNode unchanged = api.get("/api/v1/vms/" + id).json();
        assertThat(unchanged.at("/disks/0/maxIops").asLong()).isEqualTo(200);
        assertThat(unchanged.get("disks")).hasSize(1);

        // A running VM's disk takes the new limits at once: its controller reports them in the VM's metrics.
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitState(id, "running");
        assertThat(api.get("/api/v1/vms/" + id + "/metrics")
                        .json()
                        .at("/disks/0/maxIops")
                        .asLong())
                .isEqualTo(200);
        ApiClient.Response live = api.patch(disk + "/0", "{\"maxIops\":40,\"maxBytesPerSecond\":1048576}");
        assertThat(live.status()).as(live.body()).isEqualTo(200);
        JsonNode m = api.get("/api/v1/vms/" + id + "/metrics").json();
        assertThat(m.at("/disks/0/maxIops").asLong()).isEqualTo(40);
        assertThat(m.at("/disks/0/maxBytesPerSecond").asLong()).isEqualTo(1L << 20);
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        api.awaitState(id, "off");
        assertThat(api.get("/api/v1/vms/" + id).json().at("/disks/0/maxIops").asLong())
                .isEqualTo(40);
    }

    @Test
    void networkAdaptersAreAddedChangedAndRemovedWhileRunningAndARefusedChangeLeavesAllAsItWas() {
        String id = create("{\"name\":\"" + unique("nics") + "\",\"networkAdapters\":[{\"name\":\"lan\","
                        + "\"switchName\":\"nat\",\"mac\":\"00:15:5D:00:00:01\"}]}")
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitState(id, "running");
        String lan = "{\"name\":\"lan\",\"switchName\":\"nat\",\"mac\":\"00:15:5D:00:00:01\"}";

        // Hot add, then a change of the new adapter's port, reach the running guest and are stored.
        ApiClient.Response added = api.patch(
                "/api/v1/vms/" + id,
                "{\"networkAdapters\":[" + lan + ",{\"name\":\"dmz\",\"switchName\":\"nat\","
                        + "\"mac\":\"00:15:5D:00:00:02\"}]}");
        assertThat(added.status()).as(added.body()).isEqualTo(200);
        assertThat(added.json().at("/networkAdapters/1/name").asText()).isEqualTo("dmz");
        ApiClient.Response set = api.patch(
                "/api/v1/vms/" + id,
                "{\"networkAdapters\":[" + lan + ",{\"name\":\"dmz\",\"switchName\":\"nat\","
                        + "\"mac\":\"00:15:5D:00:00:02\",\"vlanId\":7}]}");
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.json().at("/networkAdapters/1/vlanId").asInt()).isEqualTo(7);

        // Removing "dmz" and changing "lan"'s MAC in one request: the removal is done, the MAC change refused, the
        // removal undone, and the settings stay as they were.
        JsonNode before = api.get("/api/v1/vms/" + id).json().get("networkAdapters");
        ApiClient.Response refused = api.patch(
                "/api/v1/vms/" + id,
                "{\"networkAdapters\":[{\"name\":\"lan\",\"switchName\":\"nat\",\"mac\":\"00:15:5D:00:00:09\"}]}");
        assertError(refused, 409, "hot_plug_failed");
        assertThat(refused.json().at("/error/message").asText())
                .contains("running VM")
                .contains("MAC address");
        assertThat(api.get("/api/v1/vms/" + id).json().get("networkAdapters")).isEqualTo(before);

        // Hot remove.
        ApiClient.Response removed = api.patch("/api/v1/vms/" + id, "{\"networkAdapters\":[" + lan + "]}");
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(removed.json().get("networkAdapters")).hasSize(1);
        String console = api.get("/api/v1/vms/" + id + "/console").body();
        assertThat(console)
                .containsSubsequence(
                        "netvsc: adapter added: dmz 00:15:5D:00:00:02 on nat",
                        "netvsc: adapter set: dmz on nat vlan 7",
                        "netvsc: adapter removed: dmz",
                        "netvsc: adapter added: dmz 00:15:5D:00:00:02 on nat",
                        "netvsc: adapter removed: dmz");
        assertThat(console).doesNotContain("00:15:5D:00:00:09");

        // Paused: adapters wait, as other hardware does; other settings still change while running.
        assertThat(api.post("/api/v1/vms/" + id + "/pause", null).status()).isEqualTo(200);
        assertError(api.patch("/api/v1/vms/" + id, "{\"networkAdapters\":[]}"), 409, "invalid_state");
        assertError(api.patch("/api/v1/vms/" + id, "{\"cpus\":2}"), 409, "invalid_state");
        assertThat(api.patch("/api/v1/vms/" + id, "{\"notes\":\"paused\"}").status())
                .isEqualTo(200);
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        api.awaitState(id, "off");
    }

    @Test
    void badRequestsGetClearErrors() {
        assertError(api.get("/api/v1/vms/nope"), 404, "not_found");
        assertError(api.get("/api/v1/vms/" + UUID.randomUUID()), 404, "not_found");
        assertError(api.post("/api/v1/vms/nope/start", null), 404, "not_found");
        assertError(api.post("/api/v1/vms", "{\"name\":"), 400, "malformed_json");
        assertError(api.post("/api/v1/vms", "not json"), 400, "malformed_json");
        assertError(api.post("/api/v1/vms", ""), 400, "invalid_argument");
        assertError(api.post("/api/v1/vms", "[]"), 400, "invalid_argument");
        assertError(api.post("/api/v1/vms", "{\"name\":\"x\",\"colour\":\"red\"}"), 400, "invalid_argument");
        assertField(api.post("/api/v1/vms", "{}"), "name");
        assertField(api.post("/api/v1/vms", "{\"name\":\"bad name!\"}"), "name");
        assertField(api.post("/api/v1/vms", "{\"name\":\"m1\",\"memory\":\"lots\"}"), "memory");
        assertField(api.post("/api/v1/vms", "{\"name\":\"m2\",\"memory\":\"1K\"}"), "memory");
        assertField(api.post("/api/v1/vms", "{\"name\":\"m3\",\"memory\":\"2T\"}"), "memory");
        assertField(api.post("/api/v1/vms", "{\"name\":\"m4\",\"memory\":-5}"), "memory");
        assertField(api.post("/api/v1/vms", "{\"name\":\"m5\",\"memory\":3000000}"), "memory");
        assertField(api.post("/api/v1/vms", "{\"name\":\"c1\",\"cpus\":0}"), "cpus");
        assertField(api.post("/api/v1/vms", "{\"name\":\"c2\",\"cpus\":65}"), "cpus");
        assertError(api.post("/api/v1/vms", "{\"name\":\"c3\",\"cpus\":\"two\"}"), 400, "invalid_argument");
        assertField(
                api.post("/api/v1/vms", "{\"name\":\"b1\",\"boot\":{\"type\":\"demo\",\"guest\":\"evil.elf\"}}"),
                "boot.guest");
        assertField(
                api.post("/api/v1/vms", "{\"name\":\"b2\",\"boot\":{\"type\":\"kernel\",\"kernel\":\"/no/such\"}}"),
                "boot.kernel");
        assertError(
                api.post("/api/v1/vms", "{\"name\":\"b3\",\"boot\":{\"type\":\"floppy\"}}"), 400, "invalid_argument");
        assertField(
                api.post("/api/v1/vms", "{\"name\":\"n1\",\"networkAdapters\":[{\"mac\":\"01:00:5E:00:00:01\"}]}"),
                "networkAdapters.mac");
        assertField(api.post("/api/v1/vms", "{\"name\":\"" + UUID.randomUUID() + "\"}"), "name");

        String name = unique("dup");
        create("{\"name\":\"" + name + "\"}");
        assertError(api.post("/api/v1/vms", "{\"name\":\"" + name.toUpperCase() + "\"}"), 409, "name_taken");
        String other =
                create("{\"name\":\"" + unique("other") + "\"}").get("id").asText();
        assertError(api.patch("/api/v1/vms/" + other, "{\"name\":\"" + name + "\"}"), 409, "name_taken");

        assertError(api.get("/api/v1/nothing-here"), 404, "not_found");
        assertError(api.send("PUT", "/api/v1/vms", "{}"), 405, "method_not_allowed");
        assertError(api.get("/api/v1/jobs/nope"), 404, "not_found");
        assertError(api.get("/api/v1/events?since=abc"), 400, "invalid_argument");
    }

    @Test
    void eventsAndJobsAreListed() {
        long since = lastSeq();
        String name = unique("ev");
        String id = create("{\"name\":\"" + name + "\"}").get("id").asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitState(id, "running");
        JsonNode events = api.get("/api/v1/events?since=" + since).json();
        assertThat(events.findValuesAsText("type")).contains("vm.created", "vm.state", "job");
        assertThat(events.findValuesAsText("state")).contains("starting", "running", "succeeded");
        assertThat(api.get("/api/v1/jobs").json().findValuesAsText("vmName")).contains(name);
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    private static long lastSeq() {
        JsonNode all = api.get("/api/v1/events").json();
        return all.isEmpty() ? 0 : all.get(all.size() - 1).get("seq").asLong();
    }

    @Test
    void hostAndIndexAnswer() {
        JsonNode host = api.get("/api/v1/host").json();
        assertThat(host.get("canRunVms").asBoolean()).isTrue(); // the scripted engine
        assertThat(host.get("demoGuests").findValuesAsText("")).isEmpty();
        assertThat(host.get("demoGuests").toString()).contains("smp.elf");
        assertThat(api.get("/api/v1").json().get("openapi").asText()).isEqualTo("/api/v1/openapi.json");
    }

    static void assertError(ApiClient.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode e = r.json().get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("status").asInt()).isEqualTo(status);
        assertThat(e.get("code").asText()).isEqualTo(code);
        assertThat(e.get("message").asText()).isNotBlank();
    }

    static void assertField(ApiClient.Response r, String field) {
        assertError(r, 400, "invalid_argument");
        assertThat(r.json().at("/error/field").asText()).as(r.body()).isEqualTo(field);
    }
}
