package org.viridian.management.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The source's side of the quick-migration protocol: the destination service's /api/v1/migrations. */
final class MigrationClient {
    private static final Duration ANSWER = Duration.ofSeconds(30), COMMIT = Duration.ofSeconds(120);
    private final HttpClient http;
    private final URI base;
    private final String token;
    private final ObjectMapper json;

    /** The destination refused (an HTTP error answer): nothing was committed there. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    MigrationClient(String url, String token, String tlsTrustPem, ObjectMapper json) {
        URI u = URI.create(url.endsWith("/") ? url : url + "/");
        if (u.getScheme() == null || !u.getScheme().matches("https?") || u.getHost() == null)
            throw new IllegalArgumentException("not an http(s) URL: " + url);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tlsTrustPem != null && !tlsTrustPem.isBlank()) b.sslContext(sslTrusting(tlsTrustPem));
        this.http = b.build();
        this.base = u.resolve("api/v1/migrations");
        this.token = token;
        this.json = json;
    }

    MigrationMessages.Accepted offer(MigrationMessages.Offer o) throws IOException, InterruptedException {
        return send("POST", base, json.writeValueAsBytes(o), ANSWER, MigrationMessages.Accepted.class);
    }

    void upload(UUID moveId, String rel, Path file) throws IOException, InterruptedException {
        URI u = URI.create(base + "/" + moveId + "/files?path=" + URLEncoder.encode(rel, StandardCharsets.UTF_8));
        HttpRequest.Builder r = request(u, Duration.ofMinutes(30))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofByteArrays(new FileChunks(file)), Files.size(file)));
        check(http.send(r.build(), HttpResponse.BodyHandlers.ofString()));
    }

    MigrationMessages.Outcome commit(UUID moveId, VmPackage.Manifest m) throws IOException, InterruptedException {
        return send(
                "POST",
                URI.create(base + "/" + moveId + "/commit"),
                json.writeValueAsBytes(m),
                COMMIT,
                MigrationMessages.Outcome.class);
    }

    /** Aborts the move unless the destination committed it; either way, what it did. */
    MigrationMessages.Outcome abort(UUID moveId) throws IOException, InterruptedException {
        return send("DELETE", URI.create(base + "/" + moveId), null, ANSWER, MigrationMessages.Outcome.class);
    }

    private <T> T send(String method, URI u, byte[] body, Duration timeout, Class<T> type)
            throws IOException, InterruptedException {
        HttpRequest.Builder r = request(u, timeout)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) r.header("Content-Type", "application/json");
        HttpResponse<String> a = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        check(a);
        return json.readValue(a.body(), type);
    }

    private HttpRequest.Builder request(URI u, Duration timeout) {
        HttpRequest.Builder r = HttpRequest.newBuilder(u).timeout(timeout);
        if (token != null && !token.isBlank()) r.header("Authorization", "Bearer " + token);
        return r;
    }

    private void check(HttpResponse<String> a) throws IOException {
        if (a.statusCode() / 100 == 2) return;
        String why = a.body();
        try {
            why = json.readTree(a.body()).at("/error/message").asText(why);
        } catch (IOException ignored) {
            // not JSON: the body as it is
        }
        throw new Refused("the destination refused (" + a.statusCode() + "): " + why);
    }

    /** TLS that trusts exactly the PEM certificates given (the destination's own, or the CA that signed it). */
    static SSLContext sslTrusting(String pem) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))))
                ks.setCertificateEntry("c" + i++, c);
            if (i == 0) throw new IllegalArgumentException("no certificate in tlsTrust");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tlsTrust is not a usable certificate: " + e.getMessage());
        }
    }
}
