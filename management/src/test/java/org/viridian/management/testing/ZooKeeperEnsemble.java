package org.viridian.management.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.viridian.management.cluster.QuorumProbe;

/**
 * A real ZooKeeper ensemble on this machine: each member its own JVM running QuorumPeerMain from the zookeeper jar on
 * the test class path, with its own zoo.cfg, myid and data directory, on free loopback ports (no network, no
 * packages). tickTime 200 ms: sessions of 0.4 to 4 s; "srvr" is allowed (the members' quorum probe).
 */
public final class ZooKeeperEnsemble implements AutoCloseable {
    public static final int TICK_MS = 200;

    private record Member(int id, int clientPort, Path dir) {}

    private final List<Member> members = new ArrayList<>();
    private final Process[] processes;

    private ZooKeeperEnsemble(Path dir, int n, Duration maxSession) throws IOException {
        int[][] ports = new int[n][3];
        for (int i = 0; i < n; i++) for (int j = 0; j < 3; j++) ports[i][j] = freePort();
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < n; i++)
            servers.append("server.")
                    .append(i + 1)
                    .append("=127.0.0.1:")
                    .append(ports[i][1])
                    .append(':')
                    .append(ports[i][2])
                    .append('\n');
        for (int i = 0; i < n; i++) {
            Path d = dir.resolve("zk" + (i + 1));
            Files.createDirectories(d.resolve("data"));
            Files.writeString(d.resolve("data/myid"), Integer.toString(i + 1));
            Files.writeString(
                    d.resolve("zoo.cfg"),
                    "tickTime=" + TICK_MS + "\ninitLimit=20\nsyncLimit=10\ndataDir=" + d.resolve("data")
                            + "\nclientPort=" + ports[i][0] + "\nclientPortAddress=127.0.0.1\n"
                            + "4lw.commands.whitelist=srvr,ruok\nadmin.enableServer=false\nforceSync=no\n"
                            + "electionPortBindRetry=0\n"
                            + (maxSession == null ? "" : "maxSessionTimeout=" + maxSession.toMillis() + "\n")
                            + servers);
            members.add(new Member(i + 1, ports[i][0], d));
        }
        processes = new Process[n];
    }

    /** Starts {@code n} members under {@code dir} and waits until a quorum serves. */
    public static ZooKeeperEnsemble start(Path dir, int n) throws IOException, InterruptedException {
        return start(dir, n, null);
    }

    /**
     * As above, sessions up to {@code maxSession} long (null: ZooKeeper's 20 ticks, 4 s): hosts whose heartbeats may
     * stall longer (services under emulation, in the nested KVM host) need longer leases.
     */
    public static ZooKeeperEnsemble start(Path dir, int n, Duration maxSession)
            throws IOException, InterruptedException {
        ZooKeeperEnsemble e = new ZooKeeperEnsemble(dir, n, maxSession);
        for (int i = 0; i < n; i++) e.start(i);
        e.awaitQuorum(Duration.ofSeconds(60));
        return e;
    }

    public void start(int i) throws IOException {
        Member m = members.get(i);
        processes[i] = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx96m",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                        m.dir().resolve("zoo.cfg").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        m.dir().resolve("member.log").toFile()))
                .start();
    }

    /** SIGKILL of member {@code i}. */
    public void kill(int i) throws InterruptedException {
        Process p = processes[i];
        if (p == null) return;
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        processes[i] = null;
    }

    public int size() {
        return members.size();
    }

    /** "127.0.0.1:P1,127.0.0.1:P2,…" */
    public String connectString() {
        return members.stream().map(m -> "127.0.0.1:" + m.clientPort()).collect(Collectors.joining(","));
    }

    public int clientPort(int i) {
        return members.get(i).clientPort();
    }

    public void awaitQuorum(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<InetSocketAddress> addrs = members.stream()
                .map(m -> InetSocketAddress.createUnresolved("127.0.0.1", m.clientPort()))
                .toList();
        while (System.nanoTime() < deadline) {
            for (int i = 0; i < processes.length; i++)
                if (processes[i] != null && !processes[i].isAlive())
                    throw new IllegalStateException("ZooKeeper member " + (i + 1) + " exited; see "
                            + members.get(i).dir().resolve("member.log"));
            long serving = QuorumProbe.probe(addrs, Duration.ofMillis(500)).answers().stream()
                    .filter(a -> a == QuorumProbe.Answer.SERVING)
                    .count();
            if (serving > members.size() / 2) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException("the ZooKeeper ensemble formed no quorum in " + timeout);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (int i = 0; i < processes.length; i++) kill(i);
    }
}
