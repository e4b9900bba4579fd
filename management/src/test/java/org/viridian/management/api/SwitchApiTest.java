package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.config.Json;
import org.viridian.management.service.SwitchService;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.SwitchHost;

/**
 * /api/v1/switches against a real service; where this process has CAP_NET_ADMIN (root) the switches are really built
 * on this host's kernel and the tests look at the host's bridges. Switch names are unique ("t-…"), addresses in the
 * benchmark range 198.18.0.0/15, and every switch made is removed.
 */
class SwitchApiTest {
    private static TestService service;
    private static ApiClient api;
    private static final List<String> made = new ArrayList<>();

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void stop() {
        service.close();
        for (String s : made) SwitchHost.system().remove(s);
    }

    private static String unique() {
        String n = "t-" + UUID.randomUUID().toString().substring(0, 8);
        made.add(n);
        return n;
    }

    private static String network() {
        return "198.18." + ThreadLocalRandom.current().nextInt(1, 255) + ".1/24";
    }

    private static boolean bridgeExists(String name) {
        return Files.exists(Path.of("/sys/class/net", Names.bridge(name)));
    }

    private static String addresses(String name) throws Exception {
        Process p = new ProcessBuilder("ip", "-o", "-4", "addr", "show", "dev", Names.bridge(name))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private static void assumeSwitches() {
        assumeTrue(SwitchHost.unavailable().isEmpty(), () -> SwitchHost.unavailable()
                .orElse(""));
    }

    private static JsonNode error(ApiClient.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        return r.json().get("error");
    }

    @Test
    void createShowPatchDeleteBuildsAndRemovesTheBridge() throws Exception {
        assumeSwitches();
        String name = unique();
        String net = network();
        ApiClient.Response created = api.post(
                "/api/v1/switches",
                "{\"name\":\"" + name + "\",\"type\":\"internal\",\"hostAddress\":\"" + net + "\",\"notes\":\"lab\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).contains("/api/v1/switches/" + name);
        JsonNode sw = created.json();
        assertThat(sw.get("type").asText()).isEqualTo("internal");
        assertThat(sw.get("hostState").asText()).isEqualTo("applied");
        assertThat(sw.get("bridge").asText()).isEqualTo(Names.bridge(name));
        assertThat(bridgeExists(name)).as("bridge on the host").isTrue();
        assertThat(addresses(name)).contains(net);
        assertThat(Files.readString(service.stateDir.resolve("switches").resolve(name + ".json")))
                .contains(net);

        assertThat(api.get("/api/v1/switches").json().findValuesAsText("name")).contains(name);
        assertThat(api.get("/api/v1/switches/" + name).json().get("notes").asText())
                .isEqualTo("lab");

        String net2 = network().replace("198.18.", "198.19.");
        JsonNode patched = api.patch("/api/v1/switches/" + name, "{\"hostAddress\":\"" + net2 + "\"}")
                .json();
        assertThat(patched.get("hostAddress").asText()).isEqualTo(net2);
        assertThat(patched.get("notes").asText()).isEqualTo("lab");
        assertThat(addresses(name)).contains(net2).doesNotContain(net);

        // A VM's adapter on it is one of its ports, and keeps it from being deleted.
        ApiClient.Response vm = api.post(
                "/api/v1/vms",
                "{\"name\":\"" + name + "-vm\",\"networkAdapters\":[{\"name\":\"lan\",\"switchName\":\"" + name
                        + "\",\"vlanId\":7,\"macSpoofGuard\":true,\"maxBandwidth\":100000000}]}");
        assertThat(vm.status()).as(vm.body()).isEqualTo(201);
        JsonNode port = api.get("/api/v1/switches/" + name).json().at("/ports/0");
        assertThat(port.get("vm").asText()).isEqualTo(name + "-vm");
        assertThat(port.get("adapter").asText()).isEqualTo("lan");
        assertThat(port.get("vlanId").asInt()).isEqualTo(7);
        assertThat(port.get("macSpoofGuard").asBoolean()).isTrue();
        assertThat(port.get("maxBandwidth").asLong()).isEqualTo(100_000_000L);
        JsonNode inUse = error(api.delete("/api/v1/switches/" + name), 409);
        assertThat(inUse.get("code").asText()).isEqualTo("switch_in_use");
        assertThat(inUse.get("message").asText()).contains(name + "-vm");
        assertThat(bridgeExists(name)).isTrue();

        assertThat(api.delete("/api/v1/vms/" + name + "-vm").status()).isEqualTo(204);
        assertThat(api.delete("/api/v1/switches/" + name).status()).isEqualTo(204);
        assertThat(bridgeExists(name)).as("bridge gone from the host").isFalse();
        assertThat(service.stateDir.resolve("switches").resolve(name + ".json")).doesNotExist();
        assertThat(error(api.get("/api/v1/switches/" + name), 404).get("code").asText())
                .isEqualTo("not_found");
    }

    @Test
    void aPrivateSwitchAndConflicts() {
        assumeSwitches();
        String name = unique();
        assertThat(api.post("/api/v1/switches", "{\"name\":\"" + name + "\",\"type\":\"private\"}")
                        .status())
                .isEqualTo(201);
        assertThat(bridgeExists(name)).isTrue();
        assertThat(error(api.post("/api/v1/switches", "{\"name\":\"" + name + "\",\"type\":\"private\"}"), 409)
                        .get("code")
                        .asText())
                .isEqualTo("name_taken");
        String other = unique(), net = network();
        assertThat(api.post(
                                "/api/v1/switches",
                                "{\"name\":\"" + other + "\",\"type\":\"internal\",\"hostAddress\":\"" + net + "\"}")
                        .status())
                .isEqualTo(201);
        String third = unique();
        JsonNode overlap = error(
                api.post(
                        "/api/v1/switches",
                        "{\"name\":\"" + third + "\",\"type\":\"internal\",\"hostAddress\":\""
                                + net.replace(".1/24", ".9/24") + "\"}"),
                409);
        assertThat(overlap.get("code").asText()).isEqualTo("address_in_use");
        assertThat(bridgeExists(third)).isFalse();
        // private -> internal needs an address; then it has one on the host
        JsonNode bad = error(api.patch("/api/v1/switches/" + name, "{\"type\":\"internal\"}"), 400);
        assertThat(bad.get("field").asText()).isEqualTo("hostAddress");
        assertThat(api.delete("/api/v1/switches/" + name).status()).isEqualTo(204);
        assertThat(api.delete("/api/v1/switches/" + other).status()).isEqualTo(204);
        assertThat(bridgeExists(name)).isFalse();
        assertThat(bridgeExists(other)).isFalse();
    }

    @Test
    void invalidDefinitionsNameTheField() {
        record Case(String body, String field, String text) {}
        for (Case c : List.of(
                new Case("{\"name\":\"Bad Name\",\"type\":\"private\"}", "name", "a-z, 0-9"),
                new Case("{\"name\":\"t-x\"}", "type", "type is required"),
                new Case("{\"name\":\"t-x\",\"type\":\"hub\"}", "type", "private, internal, external or nat"),
                new Case("{\"name\":\"t-x\",\"type\":\"internal\"}", "hostAddress", "needs a hostAddress"),
                new Case(
                        "{\"name\":\"t-x\",\"type\":\"internal\",\"hostAddress\":\"10.0.0.300/24\"}",
                        "hostAddress",
                        "10.0.0.1/24"),
                new Case(
                        "{\"name\":\"t-x\",\"type\":\"internal\",\"hostAddress\":\"10.0.0.0/24\"}",
                        "hostAddress",
                        "must be a host"),
                new Case(
                        "{\"name\":\"t-x\",\"type\":\"private\",\"hostAddress\":\"10.0.0.1/24\"}",
                        "hostAddress",
                        "no host address"),
                new Case("{\"name\":\"t-x\",\"type\":\"external\"}", "externalInterface", "needs externalInterface"),
                new Case(
                        "{\"name\":\"t-x\",\"type\":\"external\",\"externalInterface\":\"nosuch0\"}",
                        "externalInterface",
                        "no network interface nosuch0"))) {
            JsonNode e = error(api.post("/api/v1/switches", c.body()), 400);
            assertThat(e.get("field").asText()).as(c.body()).isEqualTo(c.field());
            assertThat(e.get("message").asText()).as(c.body()).contains(c.text());
        }
        assertThat(error(api.post("/api/v1/switches", "{\"name\":"), 400)
                        .get("code")
                        .asText())
                .isEqualTo("malformed_json");
        assertThat(error(api.post("/api/v1/switches", "{\"name\":\"t-x\",\"type\":\"private\",\"speed\":1}"), 400)
                        .get("message")
                        .asText())
                .contains("speed");
        assertThat(error(api.patch("/api/v1/switches/t-nosuch", "{\"notes\":\"x\"}"), 404)
                        .get("code")
                        .asText())
                .isEqualTo("not_found");
        assertThat(error(api.delete("/api/v1/switches/t-nosuch"), 404)
                        .get("code")
                        .asText())
                .isEqualTo("not_found");
    }

    @Test
    void adaptersNameDefinedSwitchesAndTheirPoliciesAreValidated() {
        JsonNode undefined = error(
                api.post(
                        "/api/v1/vms",
                        "{\"name\":\"" + unique() + "\",\"networkAdapters\":[{\"switchName\":\"t-undefined\"}]}"),
                400);
        assertThat(undefined.get("field").asText()).isEqualTo("networkAdapters.switchName");
        assertThat(undefined.get("message").asText()).contains("no virtual switch named 't-undefined'");
        assertThat(error(
                                api.post(
                                        "/api/v1/vms",
                                        "{\"name\":\"v1\",\"networkAdapters\":[{\"switchName\":\"nat\",\"vlanId\":4095}]}"),
                                400)
                        .get("field")
                        .asText())
                .isEqualTo("networkAdapters.vlanId");
        assertThat(error(
                                api.post(
                                        "/api/v1/vms",
                                        "{\"name\":\"v1\",\"networkAdapters\":[{\"switchName\":\"nat\",\"maxBandwidth\":-1}]}"),
                                400)
                        .get("field")
                        .asText())
                .isEqualTo("networkAdapters.maxBandwidth");
        assertThat(error(
                                api.post(
                                        "/api/v1/vms",
                                        "{\"name\":\"v1\",\"networkAdapters\":[{\"name\":\"a\"},{\"name\":\"A\"}]}"),
                                400)
                        .get("field")
                        .asText())
                .isEqualTo("networkAdapters.name");
        // nat is made on first use: naming it is fine before it exists; the policies are kept as given
        String vm = unique();
        JsonNode ok = api.post(
                        "/api/v1/vms",
                        "{\"name\":\"" + vm + "\",\"networkAdapters\":[{\"switchName\":\"nat\",\"vlanId\":12,"
                                + "\"dhcpGuard\":true,\"routerGuard\":true,\"maxBandwidth\":5000000},{}]}")
                .json();
        assertThat(ok.at("/networkAdapters/0/vlanId").asInt()).isEqualTo(12);
        assertThat(ok.at("/networkAdapters/0/dhcpGuard").asBoolean()).isTrue();
        assertThat(ok.at("/networkAdapters/0/routerGuard").asBoolean()).isTrue();
        assertThat(ok.at("/networkAdapters/0/macSpoofGuard").asBoolean()).isFalse();
        assertThat(ok.at("/networkAdapters/0/maxBandwidth").asLong()).isEqualTo(5_000_000L);
        assertThat(ok.at("/networkAdapters/1/switchName").isNull()).isTrue();
        assertThat(ok.at("/networkAdapters/1/name").asText()).isEqualTo("Network Adapter 2");
        api.delete("/api/v1/vms/" + vm);
    }

    @Test
    void withoutCapNetAdminTheDefinitionsStayReadableAndChangesSayWhy() throws Exception {
        Path dir = TestService.tempDir();
        Files.createDirectories(dir.resolve("switches"));
        Files.writeString(
                dir.resolve("switches").resolve("t-stored.json"),
                "{\"name\":\"t-stored\",\"type\":\"private\",\"hostAddress\":null,\"externalInterface\":null,"
                        + "\"notes\":\"\",\"created\":\"2025-01-01T00:00:00Z\",\"modified\":\"2025-01-01T00:00:00Z\"}");
        String why = "virtual switches need CAP_NET_ADMIN (test)";
        try (TestService s = TestService.start(
                dir,
                new ScriptedEngine(),
                false,
                null,
                new SwitchService.HostAccess(SwitchHost.system(), false, Optional.of(why)))) {
            JsonNode list = s.api.get("/api/v1/switches").json();
            assertThat(list.size()).isEqualTo(1);
            assertThat(list.at("/0/name").asText()).isEqualTo("t-stored");
            assertThat(list.at("/0/hostState").asText()).isEqualTo("unavailable");
            assertThat(list.at("/0/hostStateReason").asText()).isEqualTo(why);
            JsonNode create = error(s.api.post("/api/v1/switches", "{\"name\":\"t-new\",\"type\":\"private\"}"), 409);
            assertThat(create.get("code").asText()).isEqualTo("host_cannot_make_switches");
            assertThat(create.get("message").asText())
                    .contains("cannot create switch 't-new'")
                    .contains(why);
            assertThat(error(s.api.delete("/api/v1/switches/t-stored"), 409)
                            .get("code")
                            .asText())
                    .isEqualTo("host_cannot_make_switches");
            JsonNode host = s.api.get("/api/v1/host").json();
            assertThat(host.get("canMakeSwitches").asBoolean()).isFalse();
            assertThat(host.get("switchesUnavailableReason").asText()).isEqualTo(why);
            // VMs are not affected
            assertThat(s.api.post("/api/v1/vms", "{\"name\":\"plain\"}").status())
                    .isEqualTo(201);
        }
    }

    @Test
    void scopedTokensMayReadButNotChangeSwitches() throws Exception {
        Path dir = TestService.tempDir();
        String token = new TokenStore(dir, Json.mapper()).create("reader", false, List.of("some-vm"));
        try (TestService s = TestService.start(dir, new ScriptedEngine(), true, null)) {
            ApiClient scoped = s.api.withToken(token);
            assertThat(scoped.get("/api/v1/switches").status()).isEqualTo(200);
            assertThat(error(scoped.post("/api/v1/switches", "{\"name\":\"t-x\",\"type\":\"private\"}"), 403)
                            .get("code")
                            .asText())
                    .isEqualTo("forbidden");
            assertThat(s.api.get("/api/v1/switches").status()).isEqualTo(401);
        }
    }
}
