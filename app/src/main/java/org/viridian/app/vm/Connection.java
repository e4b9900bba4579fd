package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.viridian.app.cli.Messages;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import picocli.CommandLine.Option;

/**
 * How `viridian vm …` finds the service: --url, else $VIRIDIAN_URL, else the service.json that `viridian serve`
 * left in the state directory, else the default loopback address. The token: --token, else $VIRIDIAN_TOKEN.
 */
public final class Connection {
    @Option(
            names = "--url",
            description = "Service URL (default: $VIRIDIAN_URL, the running service of the state "
                    + "directory, or http://127.0.0.1:" + ServiceOptions.DEFAULT_PORT + "/).")
    String url;

    @Option(names = "--token", description = "Bearer token (default: $VIRIDIAN_TOKEN).")
    String token;

    @Option(
            names = "--state-dir",
            description = "State directory whose running service to use (default: $VIRIDIAN_HOME or ~/.viridian).")
    Path stateDir;

    @Option(
            names = "--tls-trust",
            paramLabel = "CERT",
            description = "Trust this (PEM or DER) certificate for an https "
                    + "service, e.g. the service's own self-signed one.")
    Path trust;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    ServiceClient client() {
        String u = url != null ? url : System.getenv("VIRIDIAN_URL");
        if (u == null) u = fromServiceFile(stateDir != null ? stateDir : ServiceOptions.defaultStateDir());
        if (u == null) u = "http://127.0.0.1:" + ServiceOptions.DEFAULT_PORT + "/";
        if (!u.endsWith("/")) u += "/";
        URI uri;
        try {
            uri = URI.create(u);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Messages.get("error.notAUrl", u));
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("https?"))
            throw new IllegalArgumentException(Messages.get("error.notHttpUrl", u));
        return new ServiceClient(
                uri,
                token != null ? token : System.getenv("VIRIDIAN_TOKEN"),
                trust == null ? null : sslTrusting(trust));
    }

    /** TLS that trusts exactly {@code cert} (the service's certificate or the CA that signed it). */
    static SSLContext sslTrusting(Path cert) {
        try (InputStream in = Files.newInputStream(cert)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in))
                ks.setCertificateEntry("c" + i++, c);
            if (i == 0) throw new IllegalArgumentException(Messages.get("error.noCertificate", cert));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(Messages.get("error.badCertificate", cert, e.getMessage()));
        }
    }

    private static String fromServiceFile(Path dir) {
        Path f = dir.resolve(ManagementService.SERVICE_FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            JsonNode n = new ObjectMapper().readTree(f.toFile());
            return n.path("url").asText(null);
        } catch (IOException e) {
            return null;
        }
    }
}
