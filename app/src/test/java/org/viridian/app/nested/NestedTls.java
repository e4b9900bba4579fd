package org.viridian.app.nested;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway TLS identity for a `viridian serve` inside the nested host (a service on a network address must serve
 * TLS): a PKCS#12 key store for the service (password {@link #PASSWORD}) and its certificate in PEM for the clients
 * here, which reach it through QEMU's port forward on 127.0.0.1.
 */
public record NestedTls(Path keyStore, Path certificate) {
    public static final String PASSWORD = "nested-secret";

    /** Made with the JDK's keytool: an EC key for CN=localhost, valid for 127.0.0.1, for two days. */
    public static NestedTls create() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("viridian-tls");
        Path keyStore = dir.resolve("server.p12");
        Path cert = dir.resolve("server.pem");
        keytool(
                "-genkeypair",
                "-alias",
                "viridian",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "viridian",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                cert.toString());
        return new NestedTls(keyStore, cert);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }
}
