package org.viridian.app.nested;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.viridian.testkit.SelfSignedTls;

/**
 * A throwaway TLS identity for a `viridian serve` inside the nested host (a service on a network address must serve
 * TLS): a PKCS#12 key store for the service (password {@link #PASSWORD}) and its certificate in PEM for the clients
 * here, which reach it through QEMU's port forward on 127.0.0.1.
 */
public record NestedTls(Path keyStore, Path certificate) {
    public static final String PASSWORD = "nested-secret";

    public static NestedTls create() throws IOException, InterruptedException {
        SelfSignedTls tls = SelfSignedTls.create(Files.createTempDirectory("viridian-tls"), PASSWORD);
        return new NestedTls(tls.keyStore(), tls.certificate());
    }
}
