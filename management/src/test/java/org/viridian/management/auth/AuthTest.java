package org.viridian.management.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.viridian.management.ServiceOptions;
import org.viridian.management.api.ApiServer;
import org.viridian.management.config.Json;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;

/** Bearer tokens, per-VM authorization, TLS, and the rule that a non-loopback listener needs both. */
class AuthTest {
    @Test
    void tokensAreRequiredAndScopedToVms() throws Exception {
        Path dir = TestService.tempDir();
        TokenStore tokens = new TokenStore(dir, Json.mapper());
        String admin = tokens.create("ops", true, List.of());
        String alice = tokens.create("alice", false, List.of("alice-vm"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(TokenStore.FILE))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve(TokenStore.FILE)))
                .doesNotContain(admin)
                .doesNotContain(alice);
        try (TestService s = TestService.start(dir, new ScriptedEngine(), true, null)) {
            ApiClient anon = s.api, ops = s.api.withToken(admin), al = s.api.withToken(alice);
            assertThat(anon.get("/api/v1/vms").status()).isEqualTo(401);
            assertThat(anon.get("/api/v1/vms").headers().firstValue("WWW-Authenticate"))
                    .hasValue("Bearer realm=\"viridian\"");
            assertThat(s.api.withToken("vdn_forged")
                            .get("/api/v1/vms")
                            .json()
                            .at("/error/code")
                            .asText())
                    .isEqualTo("unauthorized");
            assertThat(anon.get("/api/v1/openapi.json").status()).isEqualTo(401);
            assertThat(anon.get("/").status())
                    .isEqualTo(200); // the web manager's page itself is public; its API calls are not

            assertThat(ops.post("/api/v1/vms", "{\"name\":\"alice-vm\"}").status())
                    .isEqualTo(201);
            assertThat(ops.post("/api/v1/vms", "{\"name\":\"bob-vm\"}").status())
                    .isEqualTo(201);
            assertThat(al.post("/api/v1/vms", "{\"name\":\"alice-2\"}")
                            .json()
                            .at("/error/code")
                            .asText())
                    .isEqualTo("forbidden");

            assertThat(al.get("/api/v1/vms").json().findValuesAsText("name")).containsExactly("alice-vm");
            assertThat(ops.get("/api/v1/vms").json().findValuesAsText("name"))
                    .containsExactlyInAnyOrder("alice-vm", "bob-vm");
            assertThat(al.get("/api/v1/vms/bob-vm").status()).isEqualTo(403);
            assertThat(al.post("/api/v1/vms/bob-vm/start", null).status()).isEqualTo(403);
            assertThat(al.delete("/api/v1/vms/bob-vm").status()).isEqualTo(403);
            assertThat(al.get("/api/v1/vms/bob-vm/console").status()).isEqualTo(403);
            assertThat(al.awaitJob(al.post("/api/v1/vms/alice-vm/start", null))
                            .get("status")
                            .asText())
                    .isEqualTo("succeeded");
            assertThat(al.get("/api/v1/vms/alice-vm/console?access_token=" + alice)
                            .status())
                    .isEqualTo(200);
            // The graphical console follows the same rules: its socket, thumbnails and VNC settings.
            assertThat(al.get("/api/v1/vms/bob-vm/thumbnail").status()).isEqualTo(403);
            assertThat(al.get("/api/v1/vms/bob-vm/vnc").status()).isEqualTo(403);
            assertThat(al.send("PUT", "/api/v1/vms/bob-vm/vnc", "{\"enabled\":true}")
                            .status())
                    .isEqualTo(403);
            assertThat(anon.get("/api/v1/vms/alice-vm/vnc").status()).isEqualTo(401);
            String ws = s.api.base().replace("http:", "ws:") + "/api/v1/vms/";
            var http = java.net.http.HttpClient.newHttpClient();
            assertThat(http.newWebSocketBuilder()
                            .buildAsync(
                                    java.net.URI.create(ws + "bob-vm/screen/ws?access_token=" + alice),
                                    new java.net.http.WebSocket.Listener() {}))
                    .failsWithin(java.time.Duration.ofSeconds(10));
            assertThat(http.newWebSocketBuilder()
                            .buildAsync(
                                    java.net.URI.create(ws + "alice-vm/screen/ws"),
                                    new java.net.http.WebSocket.Listener() {}))
                    .failsWithin(java.time.Duration.ofSeconds(10));
            http.newWebSocketBuilder()
                    .buildAsync(
                            java.net.URI.create(ws + "alice-vm/screen/ws?access_token=" + alice),
                            new java.net.http.WebSocket.Listener() {})
                    .get(10, java.util.concurrent.TimeUnit.SECONDS)
                    .sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "bye");
            String bobId = ops.get("/api/v1/vms/bob-vm").json().get("id").asText();
            ops.awaitJob(ops.post("/api/v1/vms/" + bobId + "/start", null));
            assertThat(al.get("/api/v1/events").json().findValuesAsText("vmName"))
                    .contains("alice-vm")
                    .doesNotContain("bob-vm");
            assertThat(al.get("/api/v1/jobs").json().findValuesAsText("vmName"))
                    .contains("alice-vm")
                    .doesNotContain("bob-vm");
        }
    }

    @Test
    void aNonLoopbackListenerNeedsTls() {
        assertThatThrownBy(() -> new ServiceOptions(Path.of("/tmp/x"), "0.0.0.0", 0, null, false))
                .hasMessageContaining("requires TLS");
        ServiceOptions o =
                new ServiceOptions(Path.of("/tmp/x"), "0.0.0.0", 0, new ApiServer.Tls(Path.of("k.p12"), "pw"), false);
        assertThat(o.requireAuth()).isTrue();
    }

    @Test
    void tlsServesTheApiWithTheGivenCertificate() throws Exception {
        Path dir = TestService.tempDir();
        Path ks = org.viridian.testkit.SelfSignedTls.create(dir, "secret1").keyStore();
        String admin = new TokenStore(dir, Json.mapper()).create("ops", true, List.of());
        try (TestService s = TestService.start(dir, new ScriptedEngine(), true, new ApiServer.Tls(ks, "secret1"))) {
            assertThat(s.service.url()).startsWith("https://127.0.0.1:");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(ks)) {
                trust.load(in, "secret1".toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            ApiClient https = new ApiClient(
                    s.service.url(),
                    admin,
                    HttpClient.newBuilder().sslContext(ssl).build());
            assertThat(https.get("/api/v1/host").json().get("tls").asBoolean()).isTrue();
            assertThat(https.withToken(null).get("/api/v1/host").status()).isEqualTo(401);
        }
    }
}
