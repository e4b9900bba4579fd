package org.viridian.app.vm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.viridian.app.cli.Messages;

/** The CLI's side of the REST API (java.net.http): JSON in and out, service errors as {@link ServiceError}. */
public final class ServiceClient {
    private final URI base;
    private final String token;
    private final HttpClient http;
    private final ObjectMapper json = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** An error answer of the service: HTTP status, stable code, message. */
    public static final class ServiceError extends RuntimeException {
        public final int status;
        public final String code;

        ServiceError(int status, String code, String message) {
            super(message + " (" + status + " " + code + ")");
            this.status = status;
            this.code = code;
        }
    }

    /** {@code ssl}: the TLS context for https services (null: the JVM's default trust). */
    public ServiceClient(URI base, String token, javax.net.ssl.SSLContext ssl) {
        this.base = base;
        this.token = token;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (ssl != null) b.sslContext(ssl);
        this.http = b.build();
    }

    public URI base() {
        return base;
    }

    public ObjectMapper json() {
        return json;
    }

    public JsonNode get(String path) {
        return send("GET", path, null);
    }

    public JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    public JsonNode patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    public String text(String path) {
        return new String(raw("GET", path, null).body(), java.nio.charset.StandardCharsets.UTF_8);
    }

    public JsonNode send(String method, String path, Object body) {
        HttpResponse<byte[]> r = raw(method, path, body);
        try {
            return r.body().length == 0 ? json.nullNode() : json.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException(Messages.get("error.notJson", base, r.statusCode()));
        }
    }

    private HttpResponse<byte[]> raw(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                    .timeout(Duration.ofSeconds(60))
                    .method(
                            method,
                            body == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)));
            if (body != null) b.header("Content-Type", "application/json");
            if (token != null) b.header("Authorization", "Bearer " + token);
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 400) {
                JsonNode e = null;
                try {
                    e = json.readTree(r.body()).get("error");
                } catch (IOException ignored) {
                    // not our error shape
                }
                if (e == null) throw new ServiceError(r.statusCode(), "http", "the service answered " + r.statusCode());
                throw new ServiceError(
                        r.statusCode(),
                        e.path("code").asText(),
                        e.path("message").asText());
            }
            return r;
        } catch (ConnectException e) {
            throw new IllegalStateException(Messages.get("error.noService", base));
        } catch (java.net.http.HttpTimeoutException e) {
            throw new Unanswered("talking to the service at " + base + ": " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalStateException(Messages.get("error.talking", base, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(Messages.get("error.interrupted"));
        }
    }

    /** Polls of a job in a row that may time out before the wait gives up. */
    private static final int POLL_RETRIES = 12;

    /** A request the service did not answer in time (it may be busy; it is there). */
    static final class Unanswered extends IllegalStateException {
        Unanswered(String message) {
            super(message);
        }
    }

    /** Polls a job until it is done (a poll left unanswered is tried again); returns the final job. */
    public JsonNode awaitJob(JsonNode job) {
        String id = job.get("id").asText();
        int unanswered = 0;
        while (job.get("status").asText().equals("running")) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(Messages.get("error.interrupted"));
            }
            try {
                job = get("/api/v1/jobs/" + id);
                unanswered = 0;
            } catch (Unanswered e) {
                // A busy host (a VM's worker starting on few processors) may leave one poll unanswered; a job is long.
                if (++unanswered > POLL_RETRIES) throw e;
            }
        }
        if (job.get("status").asText().equals("failed")) {
            throw new ServiceError(
                    409,
                    "job_failed",
                    job.get("kind").asText() + " failed: " + job.get("message").asText());
        }
        return job;
    }

    public CompletableFuture<WebSocket> console(String vm, WebSocket.Listener listener) {
        String ws = base.toString().replaceFirst("^http", "ws");
        WebSocket.Builder b = http.newWebSocketBuilder();
        if (token != null) b.header("Authorization", "Bearer " + token);
        return b.buildAsync(URI.create(ws).resolve("/api/v1/vms/" + vm + "/console/ws"), listener);
    }
}
