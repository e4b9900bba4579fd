package org.viridian.management.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.viridian.management.config.AtomicFiles;
import org.viridian.management.config.Json;
import org.viridian.management.service.VmExit;

/**
 * A running VM's runtime directory, {@code <state>/run/<vm-id>/} (mode 0700, as is {@code run/}): what the service
 * hands its worker ({@value #LAUNCH}), the worker's pid ({@value #PID}) and socket ({@value #SOCKET}, 0600), its JVM's
 * output ({@value #LOG}), and how the VM ended when no service was connected to hear it ({@value #EXIT}). The service
 * removes it once it has taken the VM's exit.
 */
public record RuntimeDir(Path path) {
    public static final String LAUNCH = "launch.json";
    public static final String PID = "worker.pid";
    public static final String SOCKET = "worker.sock";
    public static final String LOG = "worker.log";
    /** The kept log of a VM's last worker, in the runtime root: {@code <vm id>} and this. */
    public static final String LAST_LOG_SUFFIX = ".last-worker.log";

    public static final String EXIT = "exit.json";
    /** A clustered VM's fence deadline (System.nanoTime), renewed by the service every heartbeat. */
    public static final String LEASE = "lease";

    private static final ObjectMapper JSON = Json.mapper();

    /**
     * What the worker is given: the VM's settings and what it needs of the host besides; {@code restoreFrom}: the saved
     * state to resume the VM from (null: boot it).
     */
    public record Launch(
            int version,
            org.viridian.management.config.VmConfig config,
            String guestDir,
            String switchesUnavailable,
            boolean confine,
            String restoreFrom) {
        public Launch(
                int version,
                org.viridian.management.config.VmConfig config,
                String guestDir,
                String switchesUnavailable) {
            this(version, config, guestDir, switchesUnavailable, false, null);
        }
    }

    /** Where the worker of a confined VM has its jail: beside the runtime directories, never inside one. */
    public static Path jail(Path stateDir, String vmId) {
        return stateDir.resolve("jail").resolve(vmId);
    }

    /** The directory for VM {@code vmId} under state directory {@code stateDir}. */
    public static RuntimeDir of(Path stateDir, String vmId) {
        return new RuntimeDir(root(stateDir).resolve(vmId));
    }

    public static Path root(Path stateDir) {
        return stateDir.resolve("run");
    }

    public Path socket() {
        return path.resolve(SOCKET);
    }

    public Path log() {
        return path.resolve(LOG);
    }

    /** Makes it afresh, readable by this user only. */
    public void create() throws IOException {
        Path root = path.getParent();
        Files.createDirectories(root);
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        delete();
        Files.createDirectory(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    public boolean exists() {
        return Files.isDirectory(path);
    }

    /**
     * Removes the directory; the worker's log is kept beside it as {@code <vm id>.last-worker.log} (replacing the one
     * before), so how a VM's last run ended — a failed start, a save's phases — can still be read.
     */
    public void delete() throws IOException {
        if (!Files.exists(path)) return;
        if (Files.isRegularFile(log()))
            Files.move(
                    log(),
                    path.resolveSibling(path.getFileName() + LAST_LOG_SUFFIX),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Stream<Path> s = Files.walk(path)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    public void writeLaunch(Launch l) throws IOException {
        AtomicFiles.write(path.resolve(LAUNCH), launchBytes(l));
    }

    /** A launch file's contents. */
    static byte[] launchBytes(Launch l) throws IOException {
        return JSON.writeValueAsBytes(l);
    }

    public Launch readLaunch() throws IOException {
        return JSON.readValue(path.resolve(LAUNCH).toFile(), Launch.class);
    }

    public void writePid(long pid) throws IOException {
        AtomicFiles.write(path.resolve(PID), Long.toString(pid).getBytes(StandardCharsets.US_ASCII));
    }

    public OptionalLong pid() {
        try {
            return OptionalLong.of(
                    Long.parseLong(Files.readString(path.resolve(PID)).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    public void writeExit(VmExit x) throws IOException {
        AtomicFiles.write(path.resolve(EXIT), JSON.writeValueAsBytes(x));
    }

    /** How the VM ended, when its worker recorded it. */
    public Optional<VmExit> exit() {
        Path f = path.resolve(EXIT);
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(JSON.readValue(f.toFile(), VmExit.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code h} is this directory's worker (and not a process that took its pid since): its command line names
     * WorkerMain and this directory. Read from /proc whole (ProcessHandle.Info cuts long command lines short).
     */
    public boolean isWorker(ProcessHandle h) {
        try {
            String cmdline = new String(
                    Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")), StandardCharsets.UTF_8);
            // A worker started for this VM names its directory; one that waited in standby names its own (the pid file
            // it wrote here says it took this VM).
            return cmdline.contains(WorkerMain.class.getName())
                    && (cmdline.contains(path.toString()) || WorkerStandby.isStandby(cmdline));
        } catch (IOException e) {
            return false;
        }
    }

    /** The last line of the worker's own output (why it failed to start), for error messages. */
    public String lastLogLine() {
        try (Stream<String> lines = Files.lines(log(), StandardCharsets.UTF_8)) {
            return lines.filter(l -> !l.isBlank())
                    .reduce((a, b) -> b)
                    .orElse("")
                    .strip();
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }
}
