package org.viridian.management.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A failover cluster on this machine for tests: a real 3-member ZooKeeper ensemble, a shared storage directory, and
 * `viridian serve` processes (the scripted engine) joined to it, each with its own state directory. A host may reach
 * the ensemble through {@link TcpProxy}s, one per member, so that the test can cut it off.
 */
public final class ClusterHarness implements AutoCloseable {
    public static final Duration SESSION = Duration.ofMillis(4000);
    public final Path dir;
    public final Path shared;
    public final ZooKeeperEnsemble ensemble;
    private final Map<String, ServiceProcess.Running> hosts = new LinkedHashMap<>();
    private final Map<String, List<TcpProxy>> proxies = new HashMap<>();

    public ClusterHarness() throws Exception {
        this(3);
    }

    /** With an ensemble of {@code members} (1: a standalone server). */
    public ClusterHarness(int members) throws Exception {
        dir = TestService.tempDir();
        shared = Files.createDirectories(dir.resolve("shared"));
        ensemble = ZooKeeperEnsemble.start(dir, members);
    }

    /** Starts host {@code name} (again, on the same state directory after a kill); {@code cuttable}: via proxies. */
    public ServiceProcess.Running startHost(String name, boolean cuttable) throws IOException {
        return startHost(name, cuttable, "scripted");
    }

    /** {@code mode}: as ServiceProcess's (worker-scripted: each VM in a worker process of its own). */
    public ServiceProcess.Running startHost(String name, boolean cuttable, String mode) throws IOException {
        String connect = ensemble.connectString();
        if (cuttable) {
            List<TcpProxy> p = proxies.get(name);
            if (p == null) {
                p = new ArrayList<>();
                for (int i = 0; i < ensemble.size(); i++) p.add(new TcpProxy(ensemble.clientPort(i)));
                proxies.put(name, p);
            }
            connect = p.stream().map(x -> "127.0.0.1:" + x.port()).collect(Collectors.joining(","));
        }
        ServiceProcess.Running r = ServiceProcess.Running.start(
                stateDir(name),
                mode,
                "cluster=" + connect,
                "host=" + name,
                "shared=" + shared,
                "timeout=" + SESSION.toMillis());
        hosts.put(name, r);
        return r;
    }

    public Path stateDir(String host) {
        return dir.resolve("host-" + host);
    }

    public ApiClient api(String host) {
        return hosts.get(host).api();
    }

    public Set<String> liveHosts() {
        return hosts.keySet();
    }

    public void kill9(String host) throws InterruptedException {
        hosts.remove(host).kill9();
    }

    /** Cuts (or heals) the host's connections to every ensemble member. */
    public void cut(String host, boolean cut) {
        for (TcpProxy p : proxies.get(host)) {
            if (cut) p.cut();
            else p.heal();
        }
    }

    /** The live hosts on which {@code vm} is running now (asked of each host's own API). */
    public List<String> runningOn(String vm) {
        List<String> out = new ArrayList<>();
        for (var e : hosts.entrySet()) {
            ApiClient.Response r = e.getValue().api().get("/api/v1/vms/" + vm);
            if (r.status() == 200 && r.json().path("state").asText().equals("running")) out.add(e.getKey());
        }
        return out;
    }

    /** Waits until {@code vm} runs on exactly one host other than {@code not}; returns it. */
    public String awaitRunningElsewhere(String vm, String not, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> on = List.of();
        while (System.nanoTime() < deadline) {
            on = runningOn(vm);
            if (on.size() == 1 && !on.getFirst().equals(not)) return on.getFirst();
            if (on.size() > 1) throw new AssertionError("VM " + vm + " runs on " + on + " at once");
            Thread.sleep(20);
        }
        throw new AssertionError("VM " + vm + " did not start elsewhere than " + not + " in " + timeout + ": " + on);
    }

    /** The cluster as {@code host} sees it (GET /api/v1/cluster). */
    public JsonNode status(String host) {
        return api(host).get("/api/v1/cluster").json();
    }

    public static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (done.getAsBoolean()) return;
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for: " + what);
    }

    /** Creates a scripted VM that writes its disk on the shared storage, makes it highly available and starts it. */
    public void createHaVm(String host, String vm, String priority, String preferred) throws IOException {
        createHaVm(host, vm, priority, preferred, "disk-writer");
    }

    /** As above, the scripted guest's command line {@code cmdline} (say "ticker disk-writer"). */
    public void createHaVm(String host, String vm, String priority, String preferred, String cmdline)
            throws IOException {
        Path disk = shared.resolve(vm + ".img");
        Files.writeString(disk, "");
        ApiClient a = api(host);
        ApiClient.Response r = a.post(
                "/api/v1/vms",
                "{\"name\":\"" + vm + "\",\"memory\":\"16M\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\","
                        + "\"cmdline\":\"" + cmdline + "\"},\"disks\":[{\"path\":\"" + disk + "\"}]}");
        if (r.status() != 201) throw new AssertionError("create " + vm + ": " + r.status() + " " + r.body());
        r = a.send(
                "PUT",
                "/api/v1/cluster/vms/" + vm,
                "{\"priority\":\"" + priority + "\""
                        + (preferred == null ? "" : ",\"preferredHosts\":[\"" + preferred + "\"]") + "}");
        if (r.status() != 200)
            throw new AssertionError("make " + vm + " highly available: " + r.status() + " " + r.body());
        a.awaitJob(a.post("/api/v1/vms/" + vm + "/start", null));
        // The owner records the start by its events: a record left saying "not running" would keep a failover or a
        // planned move from starting the VM on the next host (a race that once dropped the start event).
        try {
            await(vm + "'s cluster record says it runs", Duration.ofSeconds(10), () -> {
                for (JsonNode v : status(host).path("vms"))
                    if (v.path("name").asText().equals(vm))
                        return v.path("running").asBoolean();
                return false;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() throws Exception {
        for (ServiceProcess.Running r : hosts.values()) r.kill9();
        hosts.clear();
        for (List<TcpProxy> l : proxies.values()) for (TcpProxy p : l) p.close();
        ensemble.close();
    }
}
