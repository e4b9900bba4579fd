package org.viridian.management.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain HTTP client for tests: raw requests, JSON answers, job polling. */
public final class ApiClient {
    private final HttpClient http;
    private final String base;
    private final String token;
    private final ObjectMapper json = new ObjectMapper();

    public record Response(int status, String body, java.net.http.HttpHeaders headers) {
        public JsonNode json() {
            try {
                return new ObjectMapper().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    public ApiClient(String baseUrl) {
        this(
                baseUrl,
                null,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }

    public ApiClient(String baseUrl, String token, HttpClient http) {
        this.base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
        this.http = http;
    }

    public ApiClient withToken(String t) {
        return new ApiClient(base, t, http);
    }

    public String base() {
        return base;
    }

    public Response send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (token != null) b.header("Authorization", "Bearer " + token);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A GET's body as bytes (a PNG); anything but 200 fails. */
    public byte[] getBytes(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (token != null) b.header("Authorization", "Bearer " + token);
        try {
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200)
                throw new AssertionError("GET " + path + ": " + r.statusCode() + " " + new String(r.body()));
            return r.body();
        } catch (IOException e) {
            throw new AssertionError("GET " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, String body) {
        return send("POST", path, body);
    }

    public Response patch(String path, String body) {
        return send("PATCH", path, body);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Polls a job (from a 202 answer) until it is done; returns its final JSON. */
    public JsonNode awaitJob(Response accepted) {
        if (accepted.status() != 202)
            throw new AssertionError("expected 202, got " + accepted.status() + ": " + accepted.body());
        String id = accepted.json().get("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode j = get("/api/v1/jobs/" + id).json();
            if (!j.get("status").asText().equals("running")) return j;
            sleep(20);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    /** Waits until the VM is in {@code state}; returns its JSON. */
    public JsonNode awaitState(String vm, String state) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode v = null;
        while (System.nanoTime() < deadline) {
            v = get("/api/v1/vms/" + vm).json();
            if (v.path("state").asText().equals(state)) return v;
            sleep(20);
        }
        throw new AssertionError("VM " + vm + " did not reach " + state + ": " + v);
    }

    /** Waits until the console output contains {@code text}; returns the output. */
    public String awaitConsole(String vm, String text) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String out = "";
        while (System.nanoTime() < deadline) {
            out = get("/api/v1/vms/" + vm + "/console").body();
            if (out.contains(text)) return out;
            sleep(50);
        }
        throw new AssertionError("console of " + vm + " never showed '" + text + "': " + out);
    }

    public String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
