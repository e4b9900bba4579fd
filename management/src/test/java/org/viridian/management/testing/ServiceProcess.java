package org.viridian.management.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * workers confined). Prints "serving URL" once it listens. It
 * owns only the switches it made (tests share the host).
 */
public final class ServiceProcess {
    public static void main(String[] args) throws Exception {
        // viridian.test.port: a fixed port, for a test that restarts a service its peers must find again
        ServiceOptions o = new ServiceOptions(
                Path.of(args[0]), "127.0.0.1", Integer.getInteger("viridian.test.port", 0), null, false);
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
        public static Running start(Path stateDir, String mode) throws IOException {
            return start(stateDir, mode, new String[0]);
        }

        /** The same, with options for the service's JVM (e.g. a -D for a test hook). */
        public static Running start(Path stateDir, String mode, String... jvmOptions) throws IOException {
            java.util.List<String> cmd = new java.util.ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.addAll(java.util.List.of(jvmOptions));
            cmd.addAll(java.util.List.of(
                    "-cp",
                    System.getProperty("java.class.path"),
                    ServiceProcess.class.getName(),
                    stateDir.toString(),
                    mode));
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
