package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.app.nested.NestedTls;
import org.viridian.app.vm.Cli;
import org.viridian.management.testing.ZooKeeperEnsemble;

/**
 * High availability with a real VM on real KVM: two `viridian serve` members (h1, h2: their own state directories,
 * one shared directory) run in the nested KVM host, joined to a 3-member ZooKeeper ensemble that runs on this machine
 * and is reached from inside through QEMU's user network (10.0.2.2 is this machine's loopback). A highly available VM
 * runs the counter guest (LAPIC-timer ticks, one StorVSP disk block written per tick) on h1; h1 is killed with SIGKILL,
 * its service and the VM's worker process alike (a dead host loses everything), and the VM runs on h2 within the
 * lease and a start, exactly once; with h1 back, `cluster drain h2` moves it to h1 by quick migration: the guest
 * counts on where it was (no second boot). The failover time and the quick move's pause are printed.
 */
@Tag("acceptance")
class ClusterNestedIT {
    /** The members' lease (seconds): long enough for JVMs under emulation, whose heartbeats can stall for seconds. */
    private static final int SESSION_S = 15;

    private static final Pattern TICK = Pattern.compile("tick (\\d+) ");
    private static final String BOOT = "counter: 2000 ticks";
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aKilledHostsVmRunsOnTheSurvivorOnceAndADrainMovesItByQuickMigration() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn verify)");
        NestedTls tls = NestedTls.create();
        int port1 = freePort(), port2 = freePort();
        try (ZooKeeperEnsemble zk = ZooKeeperEnsemble.start(
                Files.createTempDirectory("viridian-zk"), 3, Duration.ofSeconds(SESSION_S * 2))) {
            String ensemble = IntStream.range(0, zk.size())
                    .mapToObj(i -> "10.0.2.2:" + zk.clientPort(i))
                    .collect(Collectors.joining(","));
            try (NestedKvmHost.Session host = NestedKvmHost.start(
                    jar,
                    Map.of(
                            "server.p12",
                            Files.readAllBytes(tls.keyStore()),
                            "tls.pw",
                            NestedTls.PASSWORD.getBytes(),
                            "cluster.sh",
                            clusterScript(ensemble).getBytes()),
                    List.of(
                            // One token for both members: the second state directory starts as a copy of the first.
                            NestedKvmHost.Command.watched(
                                    "token",
                                    "viridian serve token e2e --admin --state-dir /tmp/h1 && mkdir -p /tmp/h2"
                                            + " && cp -a /tmp/h1/. /tmp/h2/"),
                            new NestedKvmHost.Command("cluster", "./cluster.sh")),
                    new NestedKvmHost.Network(port1, 8081, Map.of(port2, 8082)))) {
                try {
                    run(host, port1, port2, tls);
                } catch (AssertionError | RuntimeException e) {
                    // What each member saw: the members, the VM's owner, epoch, state and last move.
                    String token = host.await(Pattern.compile("(vdn_[A-Za-z0-9_-]{30,})"), Duration.ofSeconds(1));
                    for (int p : List.of(port1, port2)) {
                        Cli c = new Cli(
                                "https://127.0.0.1:" + p + "/",
                                List.of("--token=" + token, "--tls-trust=" + tls.certificate()));
                        Cli.Result r = c.run("cluster", "status");
                        System.out.println("cluster status from port " + p + ":\n" + r.out() + r.err());
                    }
                    throw e;
                } finally {
                    String c = host.console();
                    System.out.println("nested host console (tail):\n" + c.substring(Math.max(0, c.length() - 6000)));
                }
            }
        }
    }

    /**
     * Both members, each in a loop: its service, until the test asks (a VM named kill-hN defined on it) for its death
     * by SIGKILL — the service and every VM worker process of its state directory — then, after two leases (its VMs
     * have gone to the survivor by then: it comes back as a member without them), the service again.
     */
    private static String clusterScript(String ensemble) {
        return """
                #!/bin/sh
                mkdir -p /shared
                dd if=/dev/zero of=/shared/counter.img bs=1M count=0 seek=64 2>/dev/null
                member() {
                  # The member's log on the console line by line (echo is unbuffered, sed to a pipe is not).
                  : > /tmp/$1.log; tail -f /tmp/$1.log | grep -v -e SLF4J -e slf4j -e '^#' -e '^ *$' \
                    | while IFS= read -r l; do echo "[$1] $l"; done &
                  while :; do
                    viridian serve --state-dir /tmp/$1 --listen 0.0.0.0:$2 --tls-keystore server.p12 \\
                      --tls-password-file tls.pw --cluster %s --host-name $1 --shared-storage /shared \\
                      --cluster-session-timeout %d >> /tmp/$1.log 2>&1 & S=$!
                    until grep -qs kill-$1 /tmp/$1/vms/*/config.json; do sleep 0.5; done
                    kill -9 $S; for f in /tmp/$1/run/*/worker.pid; do [ -f "$f" ] && kill -9 $(cat "$f"); done
                    echo "viridian: host $1 killed (SIGKILL of its service and its VM workers)"
                    rm -rf "$(dirname "$(grep -ls kill-$1 /tmp/$1/vms/*/config.json)")"
                    sleep %d
                  done
                }
                member h1 8081 & member h2 8082 & wait
                """
                .formatted(ensemble, SESSION_S, SESSION_S * 2);
    }

    private void run(NestedKvmHost.Session host, int port1, int port2, NestedTls tls) throws Exception {
        String token = host.await(Pattern.compile("(vdn_[A-Za-z0-9_-]{30,})"), Duration.ofMinutes(8));
        List<String> auth = List.of("--token=" + token, "--tls-trust=" + tls.certificate());
        Cli h1 = new Cli("https://127.0.0.1:" + port1 + "/", auth);
        Cli h2 = new Cli("https://127.0.0.1:" + port2 + "/", auth);
        Map<String, Cli> members = Map.of("h1", h1, "h2", h2);
        long t = System.nanoTime();
        await("both members joined", Duration.ofMinutes(6), () -> joined(h1, 2) && joined(h2, 2));
        System.out.printf("cluster: both members joined in %d s%n", (System.nanoTime() - t) / 1_000_000_000);

        Cli.Result created = h1.run(
                "vm",
                "create",
                "counter",
                "--guest",
                "counter.elf",
                "--cmdline",
                "ticks=2000 ms=250",
                "--memory",
                "64M",
                "--disk",
                "/shared/counter.img",
                "--highly-available");
        assertThat(created.rc()).as(created.out() + created.err()).isZero();
        Cli.Result started = h1.run("vm", "start", "counter");
        assertThat(started.rc()).as(started.out() + started.err()).isZero();
        awaitTick(h1, 8);
        assertThat(runningOn(members)).containsExactly("h1");

        // kill -9 of the owning host: its service and the VM's worker.
        assertThat(h1.run("vm", "create", "kill-h1", "--guest", "smp.elf").rc()).isZero();
        host.await(Pattern.compile("viridian: host h1 killed"), Duration.ofMinutes(1));
        long killed = System.nanoTime();
        await("counter running on h2", Duration.ofMinutes(3), () -> "running".equals(state(h2, "counter")));
        long failoverMs = (System.nanoTime() - killed) / 1_000_000;
        System.out.printf(
                "cluster: kill -9 of h1 (service and worker): the VM runs on h2 after %d ms (lease %d s)%n",
                failoverMs, SESSION_S);
        awaitTick(h2, 8);
        assertThat(console(h2)).as("booted afresh on h2").containsOnlyOnce(BOOT);
        await("h1 back in the cluster", Duration.ofMinutes(4), () -> joined(h1, 2) && joined(h2, 2));
        await("h1 dropped its stale copy", Duration.ofMinutes(1), () -> !h1.run("vm", "list")
                .out()
                .contains("counter"));
        assertThat(runningOn(members)).as("exactly once").containsExactly("h2");
        assertThat(lastMove(h1).path("how").asText()).isEqualTo("failover");

        // cluster drain h2: the VM goes back to h1 by quick migration and counts on.
        int before = lastTick(console(h2));
        long drain = System.nanoTime();
        Cli.Result drained = h1.run("cluster", "drain", "h2");
        assertThat(drained.rc()).as(drained.out() + drained.err()).isZero();
        await("counter running on h1", Duration.ofMinutes(3), () -> "running".equals(state(h1, "counter")));
        long drainMs = (System.nanoTime() - drain) / 1_000_000;
        assertThat(runningOn(members)).as("exactly once").containsExactly("h1");
        await(
                "h2 dropped its copy (off: its state went with the move)",
                Duration.ofMinutes(1),
                () -> !h2.run("vm", "list").out().contains("counter"));
        awaitTick(h1, before + 8);
        String there = console(h1);
        List<Integer> ticks = ticks(there);
        assertThat(there).as("resumed, not booted again").doesNotContain(BOOT);
        assertThat(ticks.getFirst())
                .as("the first tick on h1 follows the last on h2")
                .isGreaterThan(before);
        assertThat(ticks)
                .as("each tick once, in order")
                .isEqualTo(IntStream.rangeClosed(ticks.getFirst(), ticks.getLast())
                        .boxed()
                        .toList());
        JsonNode move = lastMove(h1);
        await("the move's pause recorded", Duration.ofSeconds(30), () -> lastMove(h1)
                .path("pauseMs")
                .isNumber());
        move = lastMove(h1);
        assertThat(move.path("how").asText()).as(move.toString()).isEqualTo("quick");
        System.out.printf(
                "cluster: drain of h2: the counter guest resumed on h1 at tick %d (last seen on h2: %d); drain request"
                        + " to running on h1 %d ms; the guest was paused %d ms (save on h2, handoff, restore on h1)%n",
                ticks.getFirst(), before, drainMs, move.path("pauseMs").asLong());
        System.out.println(h1.run("cluster", "status").out());
        assertThat(h1.run("cluster", "resume", "h2").rc()).isZero();
        h1.run("vm", "stop", "counter");
    }

    private boolean joined(Cli c, int members) {
        JsonNode s = cluster(c);
        return s != null
                && s.path("health").asText().equals("ok")
                && s.path("hosts").size() == members;
    }

    private JsonNode cluster(Cli c) {
        Cli.Result r = c.run("cluster", "status", "--json");
        if (r.rc() != 0) return null;
        try {
            return json.readTree(r.out());
        } catch (IOException e) {
            return null;
        }
    }

    private JsonNode lastMove(Cli c) {
        JsonNode s = cluster(c);
        if (s != null)
            for (JsonNode v : s.path("vms")) if (v.path("name").asText().equals("counter")) return v.path("lastMove");
        return json.nullNode();
    }

    private String state(Cli c, String vm) {
        Cli.Result r = c.run("vm", "show", vm, "--json");
        if (r.rc() != 0) return null;
        try {
            return json.readTree(r.out()).path("state").asText();
        } catch (IOException e) {
            return null;
        }
    }

    private List<String> runningOn(Map<String, Cli> members) {
        List<String> on = new ArrayList<>();
        members.forEach((name, c) -> {
            if ("running".equals(state(c, "counter"))) on.add(name);
        });
        return on.stream().sorted().toList();
    }

    private static String console(Cli c) {
        return c.run("vm", "console", "counter", "--print").out();
    }

    private static List<Integer> ticks(String console) {
        return TICK.matcher(console)
                .results()
                .map(m -> Integer.parseInt(m.group(1)))
                .toList();
    }

    private static int lastTick(String console) {
        List<Integer> t = ticks(console);
        return t.isEmpty() ? 0 : t.getLast();
    }

    private static void awaitTick(Cli c, int n) throws InterruptedException {
        await("tick " + n, Duration.ofMinutes(3), () -> lastTick(console(c)) >= n);
    }

    private static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) return;
            // Each poll is a TLS handshake with a JVM under emulation: not more often than this.
            Thread.sleep(1000);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
