package org.viridian.management.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.viridian.management.ManagementService;
import org.viridian.management.ServiceOptions;
import org.viridian.management.service.SwitchService;
import org.viridian.management.worker.RuntimeDir;
import org.viridian.management.worker.WorkerEngine;

/**
 * A service in its own JVM for the crash tests (killed with SIGKILL): args STATE-DIR [scripted|kvm|worker-scripted]
 * (worker-scripted: each VM in a worker process running the scripted engine; worker-scripted-confined: the same, the
 * workers confined), then optionally cluster=ZK-MEMBERS host=NAME shared=DIR timeout=MS to join a failover cluster.
 * Prints "serving URL" once it listens. It
 * owns only the switches it made (tests share the host).
 */
public final class ServiceProcess {
    public static void main(String[] args) throws Exception {
        // viridian.test.port: a fixed port, for a test that restarts a service its peers must find again
        ServiceOptions o = new ServiceOptions(
                Path.of(args[0]), "127.0.0.1", Integer.getInteger("viridian.test.port", 0), null, false);
        java.util.Map<String, String> extra = new java.util.HashMap<>();
        for (int i = 2; i < args.length; i++)
            extra.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
        if (extra.containsKey("cluster"))
            o = o.withCluster(new org.viridian.management.cluster.ClusterOptions(
                    extra.get("cluster"),
                    extra.get("host"),
                    extra.containsKey("shared") ? Path.of(extra.get("shared")) : null,
                    java.time.Duration.ofMillis(Long.parseLong(extra.getOrDefault("timeout", "10000")))));
        ManagementService s = ManagementService.start(
                o,
                switch (args.length > 1 ? args[1] : "scripted") {
                    case "kvm" -> null;
                    case "worker-scripted" -> WorkerEngine.running(o.stateDir(), ScriptedEngine.class.getName());
                    case "worker-scripted-confined" ->
                        WorkerEngine.running(o.stateDir(), ScriptedEngine.class.getName())
                                .confined(true);
                    default -> new ScriptedEngine();
                },
                SwitchService.HostAccess.shared());
        System.out.println("serving " + s.url());
        System.out.flush();
        Thread.currentThread().join();
    }

    /** A service process started by a test, and its URL. */
    public record Running(Process process, String url) {
        /** Starts one on {@code stateDir} in {@code mode} (as main's second argument); returns once it serves. */
        public static Running start(Path stateDir, String mode, String... extra) throws IOException {
            // "-…": an option for the service's JVM (e.g. a -D for a test hook); "key=value": a service argument.
            List<String> jvm =
                    Arrays.stream(extra).filter(x -> x.startsWith("-")).toList();
            List<String> args =
                    Arrays.stream(extra).filter(x -> !x.startsWith("-")).toList();
            java.util.List<String> cmd = new java.util.ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.addAll(jvm);
            cmd.addAll(java.util.List.of(
                    "-cp",
                    System.getProperty("java.class.path"),
                    ServiceProcess.class.getName(),
                    stateDir.toString(),
                    mode));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd)
                    // stderr to a file, not this JVM's: a service that outlived its test would otherwise hold the test
                    // run open
                    .redirectError(ProcessBuilder.Redirect.appendTo(new java.io.File("target/service-stderr.log")))
                    .start();
            String line = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
            if (line == null || !line.startsWith("serving ")) {
                p.destroyForcibly();
                throw new IOException("the service did not start: " + line);
            }
            return new Running(p, line.substring("serving ".length()));
        }

        public ApiClient api() {
            return new ApiClient(url);
        }

        /** SIGKILL: no shutdown hooks, no flushing. */
        public void kill9() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException("the service outlived SIGKILL");
        }
    }

    /** Kills every worker process of the state directory's VMs (tests end with this: workers outlive services). */
    public static void killWorkers(Path stateDir) throws IOException {
        Path run = RuntimeDir.root(stateDir);
        if (!Files.isDirectory(run)) return;
        try (Stream<Path> s = Files.list(run)) {
            for (Path p : s.toList()) {
                if (!Files.isDirectory(p)) continue;
                RuntimeDir d = new RuntimeDir(p);
                d.pid().stream().mapToObj(ProcessHandle::of).forEach(h -> h.filter(d::isWorker)
                        .ifPresent(ProcessHandle::destroyForcibly));
            }
        }
    }
}
