package org.viridian.vswitch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2 (ip, bridge, tc) and nft. Their command lines are stable, documented interfaces that speak netlink for
 * us, with JSON output ({@code -j}) to read state back: that beats a hand-written netlink binding here, where changes
 * happen once per switch or port, never per packet.
 */
public final class HostTool {
    private HostTool() {}

    public static String run(String... argv) throws NetworkConfigException {
        return withInput(null, argv);
    }

    /** Runs the command with {@code stdin} (may be null) and returns its standard output; a failure names the command. */
    static String withInput(String stdin, String... argv) throws NetworkConfigException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new NetworkConfigException(argv[0] + " cannot be run (" + e.getMessage()
                    + "); virtual switches need the Debian packages iproute2, nftables and dnsmasq-base");
        }
        try {
            try (var in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            // Both pipes drain on their own threads so that neither can fill and stall the tool, and the wait below is
            // bounded whatever the tool does: a daemon it forks (dnsmasq) may keep a pipe open after the tool exits.
            Drain out = new Drain(p.getInputStream()), err = new Drain(p.getErrorStream());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetworkConfigException(String.join(" ", argv) + ": no answer in 30 s");
            }
            byte[] stdout = out.bytes(), stderr = err.bytes();
            if (p.exitValue() != 0)
                throw new NetworkConfigException(String.join(" ", argv) + ": "
                        + new String(stderr, StandardCharsets.UTF_8).strip()
                        + (stdin != null ? "\n" + stdin : ""));
            return new String(stdout, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NetworkConfigException(String.join(" ", argv) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkConfigException(String.join(" ", argv) + ": interrupted");
        }
    }

    /** A pipe read to its end on a virtual thread; what it got is taken after the process exited. */
    private static final class Drain {
        private final ByteArrayOutputStream got = new ByteArrayOutputStream();
        private final Thread reader;

        Drain(InputStream in) {
            reader = Thread.ofVirtual().start(() -> {
                try (in) {
                    in.transferTo(got);
                } catch (IOException ignored) {
                    // the pipe closed under us: what was read is the answer
                }
            });
        }

        /** What was read, waiting a little for the end of the pipe (longer only if something else still holds it). */
        byte[] bytes() throws InterruptedException {
            reader.join(Duration.ofSeconds(5));
            return got.toByteArray(); // synchronized with the reader's writes
        }
    }

    /** Like {@link #run} but a failure is returned as false (for removals of what may already be gone). */
    public static boolean quietly(String... argv) {
        try {
            run(argv);
            return true;
        } catch (NetworkConfigException e) {
            return false;
        }
    }
}
