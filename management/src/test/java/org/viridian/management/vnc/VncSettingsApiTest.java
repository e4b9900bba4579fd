package org.viridian.management.vnc;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/** A VM's VNC settings over the API: off by default, checked, the password kept unless given, never shown. */
class VncSettingsApiTest {
    private static TestService service;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void stop() {
        if (service != null) service.close();
    }

    @Test
    void settingsAreCheckedAndThePasswordIsKeptButNeverShown() throws Exception {
        String id = api.post("/api/v1/vms", "{\"name\":\"vncset\"}")
                .json()
                .get("id")
                .asText();
        String path = "/api/v1/vms/" + id + "/vnc";
        assertThat(api.get(path).json().get("enabled").asBoolean()).isFalse();
        // Beyond loopback: no password is refused, and with one, a service on loopback refuses it too.
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"listen\":\"0.0.0.0\"}")
                        .status())
                .isEqualTo(400);
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"listen\":\"0.0.0.0\",\"password\":\"pw\"}")
                        .status())
                .isEqualTo(400);
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"password\":\"longer-than-8\"}")
                        .status())
                .isEqualTo(400);
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"port\":80}").status())
                .isEqualTo(400);
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"listen\":\"example.com\"}")
                        .status())
                .isEqualTo(400);
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"bogus\":1}").status())
                .isEqualTo(400);

        var on = api.send("PUT", path, "{\"enabled\":true,\"password\":\"abc\"}");
        assertThat(on.status()).isEqualTo(200);
        assertThat(on.body()).doesNotContain("abc");
        // A change without "password" keeps it; an empty one removes it.
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"port\":0}")
                        .json()
                        .get("passwordSet")
                        .asBoolean())
                .isTrue();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        int port = -1;
        for (int i = 0; i < 100 && port < 0; i++) {
            var p = api.get(path).json().get("activePort");
            if (p.isNumber()) port = p.asInt();
            else Thread.sleep(100);
        }
        assertThat(port).isPositive();
        try (RfbClient c = new RfbClient(port)) {
            assertThat(c.handshake38("abc")).isZero();
        }
        // Removing the password applies to the running VM at once: None is offered now.
        assertThat(api.send("PUT", path, "{\"enabled\":true,\"password\":\"\"}")
                        .json()
                        .get("passwordSet")
                        .asBoolean())
                .isFalse();
        int now = api.get(path).json().get("activePort").asInt();
        try (RfbClient c = new RfbClient(now)) {
            assertThat(c.handshake38(null)).isZero();
        }
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
        assertThat(api.get(path).json().get("activePort").isNull()).isTrue();
        boolean refused;
        try (Socket s = new Socket("127.0.0.1", now)) {
            refused = false;
        } catch (java.io.IOException e) {
            refused = true;
        }
        assertThat(refused).as("nothing listens once the VM is off").isTrue();
    }
}
