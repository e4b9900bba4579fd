package org.viridian.management.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A worker JVM started ahead of the VM it will run, so a VM's start does not wait for a JVM's: it starts, reads a
 * sample launch file (its JSON reader's first use is seconds where the CPU is slow), and waits on its standard input
 * for the runtime directory of the VM it is given. Handing it over moves its log (the same open file) into that
 * directory and writes the directory's path; from then on it is that VM's worker like any other. A standby whose
 * service ends sees its input close and exits. Its directory, {@code <state>/run/standby-<uuid>/}, holds the sample and
 * its log until the hand-over; the worker removes it.
 */
final class WorkerStandby {
    /** The worker's first argument in standby; the second is its directory. */
    static final String ARG = "--standby";

    private final Process process;
    private final Path dir;

    private WorkerStandby(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
    }

    /**
     * Starts one: {@code command} is the worker's command up to its main class; {@code sampleLaunch} a launch file's
     * bytes for its warm-up.
     */
    static WorkerStandby start(List<String> command, Path runRoot, byte[] sampleLaunch) throws IOException {
        Path dir = runRoot.resolve("standby-" + UUID.randomUUID());
        Files.createDirectories(runRoot);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.write(dir.resolve(RuntimeDir.LAUNCH), sampleLaunch);
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of(ARG, dir.toString()));
        ProcessBuilder b = new ProcessBuilder(cmd);
        WorkerSpawner.environment(b);
        Process p = b.redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve(RuntimeDir.LOG).toFile()))
                .redirectErrorStream(true)
                .start();
        return new WorkerStandby(p, dir);
    }

    Process process() {
        return process;
    }

    /**
     * Gives it the VM of {@code target}: its log becomes the VM's worker log, then it reads the directory. False where
     * it has ended meanwhile (the caller starts a worker the usual way).
     */
    boolean handTo(RuntimeDir target) {
        if (!process.isAlive()) {
            discard();
            return false;
        }
        try {
            Files.move(dir.resolve(RuntimeDir.LOG), target.log(), StandardCopyOption.ATOMIC_MOVE);
            try (OutputStream in = process.getOutputStream()) {
                in.write((target.path() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return true;
        } catch (IOException e) {
            discard();
            return false;
        }
    }

    /** Ends it unused (its service closes, or it could not be handed over). */
    void discard() {
        process.destroyForcibly();
        try {
            process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delete(dir);
    }

    /** Its directory, once it has left it (the worker's own clean-up, or the service's after a discard). */
    static void delete(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // gone already, or a log still held: the next service's start leaves it be
        }
    }

    /** Whether a worker's command line is a standby's (it names no VM: its pid file says which VM it took). */
    static boolean isStandby(String cmdline) {
        return cmdline.contains(ARG);
    }
}
