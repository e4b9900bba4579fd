package org.viridian.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway TLS identity for a test's `viridian serve`, made with the JDK's keytool: an EC key for CN=localhost,
 * valid for 127.0.0.1 and two days, in a PKCS#12 key store (alias "viridian"), and its certificate in PEM for clients.
 */
public record SelfSignedTls(Path keyStore, Path certificate, String password) {
    /** Writes {@code server.p12} and {@code server.pem} into {@code dir}. */
    public static SelfSignedTls create(Path dir, String password) throws IOException, InterruptedException {
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
                password,
                "-keypass",
                password);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "viridian",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                password,
                "-file",
                cert.toString());
        return new SelfSignedTls(keyStore, cert, password);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("keytool " + args[0] + " failed: " + out);
    }
}
