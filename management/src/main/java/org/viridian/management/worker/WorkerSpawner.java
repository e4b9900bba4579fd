package org.viridian.management.worker;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a worker JVM for a runtime directory: this JVM's java and class path, a lean heap (guest memory is not Java
 * heap), the JDK's class-data archive, in a session of its own (a terminal's Ctrl-C to the service does not reach it)
 * with its output in the runtime directory (it outlives the service's pipes).
 */
final class WorkerSpawner {
    /** util-linux's, or busybox's (the nested-KVM host's); both exec in place in a process that leads no group. */
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    private final String engineClass;

    /** {@code engineClass}: the engine the worker runs (tests); null: KVM. */
    WorkerSpawner(String engineClass) {
        this.engineClass = engineClass;
    }

    Process spawn(RuntimeDir dir) throws IOException {
        List<String> cmd = new ArrayList<>();
        SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(p -> cmd.add(p.toString()));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-Xshare:auto",
                "-Xms8m",
                "-Xmx256m",
                "-XX:MaxMetaspaceSize=128m"));
        cmd.addAll(inheritedOptions());
        if (engineClass != null) cmd.add("-D" + WorkerMain.ENGINE_PROPERTY + "=" + engineClass);
        cmd.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                WorkerMain.class.getName(),
                dir.path().toString()));
        return new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.log().toFile()))
                .redirectErrorStream(true)
                .start();
    }

    /**
     * The service's own -XX options that say how its host runs Java (e.g. C1 only, as the nested-KVM host's launcher
     * asks), less those about memory and logging, which the worker sets for itself.
     */
    static List<String> inheritedOptions() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-XX:"))
                .filter(a -> !a.matches("-XX:[+-]?(Max|Min|Initial)?(Heap|Metaspace|RAM|NewSize|Direct).*"))
                .filter(a -> !a.contains("Log") && !a.contains("Dump") && !a.contains("SharedArchiveFile"))
                .toList();
    }

    /** Why a worker this service started has ended, in words. */
    static String death(Process p) {
        try {
            int status = p.waitFor();
            // Java reports a process killed by signal S as 128 + S.
            return "worker process " + p.pid() + " exited with "
                    + (status > 128 ? "signal " + (status - 128) : "status " + status);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "worker process " + p.pid() + " ended";
        }
    }

    /** Why a worker adopted from an earlier service has ended (its status went to that service, or to init). */
    static String death(ProcessHandle p) {
        return "worker process " + p.pid() + " ended without reporting how its VM ended";
    }
}
