package org.viridian.app.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.viridian.vswitch.HostTool;

/**
 * The kernel's own baseline: a veth pair between two network namespaces of this host, iperf3's server in one and the
 * same client commands as the guests' in the other.
 */
final class VethBaseline {
    private static final String CLIENT = "10.231.2.1", SERVER = "10.231.2.2";

    private VethBaseline() {}

    static Iperf3.Figures measure(String iperf3, int seconds) throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        String a = "nb-a-" + pid, b = "nb-b-" + pid;
        Process server = null;
        try {
            HostTool.run("ip", "netns", "add", a);
            HostTool.run("ip", "netns", "add", b);
            HostTool.run(
                    "ip", "-n", a, "link", "add", "nbveth0", "type", "veth", "peer", "name", "nbveth1", "netns", b);
            configure(a, "nbveth0", CLIENT);
            configure(b, "nbveth1", SERVER);
            server = new ProcessBuilder("ip", "netns", "exec", b, iperf3, "-s", "-B", SERVER)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String tcp = client(a, iperf3, Iperf3.tcp(seconds));
            String udp = client(a, iperf3, Iperf3.udp(seconds));
            return new Iperf3.Figures(Iperf3.tcpBitsPerSecond(tcp), Iperf3.udpPacketsPerSecond(udp));
        } finally {
            if (server != null) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            HostTool.quietly("ip", "netns", "del", a); // takes its end of the pair, and so the pair, with it
            HostTool.quietly("ip", "netns", "del", b);
        }
    }

    private static void configure(String ns, String dev, String address) throws IOException {
        HostTool.run("ip", "-n", ns, "link", "set", "lo", "up");
        HostTool.run("ip", "-n", ns, "addr", "add", address + "/24", "dev", dev);
        HostTool.run("ip", "-n", ns, "link", "set", dev, "up");
    }

    /** The client's JSON; tried again for a while until the server listens. */
    private static String client(String ns, String iperf3, List<String> args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns, iperf3, "-c", SERVER));
        argv.addAll(args);
        String out = "";
        for (int attempt = 0; attempt < 30; attempt++) {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // iperf3 reopens its listening socket between tests: a client that comes in that gap gets a JSON report
            // whose "error" is "Connection refused", sometimes with exit status 0.
            if (p.waitFor() == 0 && !out.contains("\"error\"")) return out;
            Thread.sleep(500);
        }
        throw new IOException("iperf3 in a namespace never reached its peer: " + out.strip());
    }
}
