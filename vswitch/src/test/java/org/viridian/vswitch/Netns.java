package org.viridian.vswitch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a VM's adapter in switch tests: a network namespace whose eth0 is one end of a veth pair, the other
 * end ({@link #port}) being what a TAP device is to a VM. Real kernel networking end to end, with no VM.
 */
final class Netns implements AutoCloseable {
    final String name, port, mac;

    Netns(String mac) throws IOException {
        String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24, 1 << 28));
        this.name = "vswt-" + id;
        this.port = "vtapt" + id;
        this.mac = mac;
        sh("ip", "netns", "add", name);
        sh("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name);
        in("ip", "link", "set", "eth0", "address", mac);
        in("ip", "link", "set", "eth0", "up");
        in("ip", "link", "set", "lo", "up");
    }

    void address(String cidr) throws IOException {
        in("ip", "addr", "add", cidr, "dev", "eth0");
    }

    /** Runs a command inside; returns its exit status and output. */
    Result exec(int timeoutSeconds, String... argv) throws IOException {
        List<String> a = new ArrayList<>(List.of("ip", "netns", "exec", name));
        a.addAll(List.of(argv));
        return run(timeoutSeconds, a);
    }

    void in(String... argv) throws IOException {
        Result r = exec(30, argv);
        if (r.exit != 0) throw new IOException(String.join(" ", argv) + " in " + name + ": " + r.output);
    }

    /** One ping, one second to answer. */
    boolean pings(String address) throws IOException {
        return exec(5, "busybox", "ping", "-c", "1", "-W", "1", address).exit == 0;
    }

    @Override
    public void close() {
        try {
            sh("ip", "netns", "del", name);
        } catch (IOException ignored) {
            // Deleting the namespace deletes its veth end and with it the port.
        }
    }

    record Result(int exit, String output) {}

    static void sh(String... argv) throws IOException {
        Result r = run(30, List.of(argv));
        if (r.exit != 0) throw new IOException(String.join(" ", argv) + ": " + r.output);
    }

    static Result run(int timeoutSeconds, List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", argv));
            }
            return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
