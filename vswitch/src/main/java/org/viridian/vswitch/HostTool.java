package org.viridian.vswitch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
            // stderr drains on its own thread so that neither pipe can fill and stall the tool.
            byte[][] stderrBox = new byte[1][];
            Thread err = Thread.ofVirtual().start(() -> {
                try {
                    stderrBox[0] = p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    stderrBox[0] = e.toString().getBytes(StandardCharsets.UTF_8);
                }
            });
            byte[] stdout = p.getInputStream().readAllBytes();
            err.join();
            byte[] stderr = stderrBox[0];
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetworkConfigException(String.join(" ", argv) + ": no answer in 30 s");
            }
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
