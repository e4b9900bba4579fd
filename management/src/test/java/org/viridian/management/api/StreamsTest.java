package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/** The console WebSocket (scrollback, live output, typed input) and the server-sent event stream. */
class StreamsTest {
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

    @Test
    void theConsoleWebSocketShowsScrollbackAndLiveOutputAndTakesInput() throws Exception {
        String id = api.post("/api/v1/vms", "{\"name\":\"ws1\",\"cpus\":2}")
                .json()
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitConsole(id, "login: ");
        StringBuilder seen = new StringBuilder();
        LinkedBlockingQueue<String> chunks = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(
                        URI.create(api.base().replace("http:", "ws:") + "/api/v1/vms/ws1/console/ws"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                                byte[] b = new byte[data.remaining()];
                                data.get(b);
                                chunks.add(new String(b, StandardCharsets.UTF_8));
                                w.request(1);
                                return null;
                            }
                        })
                .get(10, TimeUnit.SECONDS);
        awaitText(chunks, seen, "cpus online: 2"); // scrollback from before we connected
        ws.sendText("hello guest", true).get(5, TimeUnit.SECONDS);
        awaitText(chunks, seen, "echo:hello guest"); // live output answering our input
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        assertThat(api.get("/api/v1/vms/ws1/console").body()).contains("echo:hello guest");
        api.awaitJob(api.post("/api/v1/vms/ws1/stop", null));
    }

    @Test
    void aConsoleOfAnUnknownVmIsRefusedBeforeTheUpgrade() {
        var r = api.get("/api/v1/vms/ghost/console");
        assertThat(r.status()).isEqualTo(404);
        var failed = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(
                        URI.create(api.base().replace("http:", "ws:") + "/api/v1/vms/ghost/console/ws"),
                        new WebSocket.Listener() {});
        assertThat(failed).failsWithin(Duration.ofSeconds(10));
    }

    @Test
    void consoleOffsetsLetAClientReadOnlyWhatIsNew() {
        String id =
                api.post("/api/v1/vms", "{\"name\":\"offs\"}").json().get("id").asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitConsole(id, "login: ");
        ApiClient.Response first = api.get("/api/v1/vms/" + id + "/console");
        long offset =
                Long.parseLong(first.headers().firstValue("X-Console-Offset").orElseThrow());
        assertThat(offset).isEqualTo(first.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(api.get("/api/v1/vms/" + id + "/console?since=" + offset).body())
                .isEmpty();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    @Test
    void theEventStreamDeliversStateChangesLive() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/events/stream"))
                .header("Accept", "text/event-stream")
                .build();
        HttpResponse<java.io.InputStream> r =
                HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data:"))
                        events.add(new ObjectMapper().readTree(line.substring(5).trim()));
                }
            } catch (Exception ignored) {
                // stream closed at the end of the test
            }
        });
        Thread.sleep(200);
        String id =
                api.post("/api/v1/vms", "{\"name\":\"sse1\"}").json().get("id").asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        List<String> states = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!states.contains("running") && System.nanoTime() < deadline) {
            JsonNode e = events.poll(1, TimeUnit.SECONDS);
            if (e != null
                    && id.equals(e.path("vmId").asText())
                    && e.get("type").asText().equals("vm.state")) {
                states.add(e.get("state").asText());
            }
        }
        assertThat(states).containsSubsequence("starting", "running");
        reader.interrupt();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    private static void awaitText(LinkedBlockingQueue<String> chunks, StringBuilder seen, String text)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!seen.toString().contains(text) && System.nanoTime() < deadline) {
            String c = chunks.poll(200, TimeUnit.MILLISECONDS);
            if (c != null) seen.append(c);
        }
        assertThat(seen.toString()).contains(text);
    }
}
