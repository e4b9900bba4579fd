package org.viridian.management.worker;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The worker JVM's ahead-of-time cache (JEP 483, JEP 515: its classes loaded and linked, its methods' profiles), so a
 * VM's worker does not spend its start loading, verifying and linking the same classes as every worker before it —
 * most of a worker's start where the CPU is slow. There is no training program: the first worker of a build on this
 * host records its own run ({@code -XX:AOTMode=record}, its configuration written when it exits), then the service
 * assembles the cache from that in the background ({@code -XX:AOTMode=create}); every later worker starts from it.
 * One cache per build, JVM and worker options (their digest names the files, under the state directory's
 * {@code cache/}); another build's files are removed when a new cache is made. The JVM refuses a cache that does not
 * match its class path (and runs without it); nothing depends on the cache but start time.
 */
final class WorkerStartupCache {
    private static final System.Logger LOG = System.getLogger(WorkerStartupCache.class.getName());
    /** Off with -Dviridian.worker.startupCache=false (the start benchmark's baseline). */
    static final String PROPERTY = "viridian.worker.startupCache";

    private final Path dir;
    private final String java;
    private final List<String> options;
    private final String classPath;
    private final String key;
    /** The caches being assembled in this process: every spawn makes its own instance, one assembly per cache. */
    private static final Set<Path> CREATING = ConcurrentHashMap.newKeySet();

    private WorkerStartupCache(Path dir, String java, List<String> options, String classPath) {
        this.dir = dir;
        this.java = java;
        this.options = List.copyOf(options);
        this.classPath = classPath;
        this.key = digest(java, options, classPath);
    }

    /** The cache for workers started with {@code options} and {@code classPath}; null where it is switched off. */
    static WorkerStartupCache under(Path stateDir, String java, List<String> options, String classPath) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) return null;
        return new WorkerStartupCache(stateDir.resolve("cache"), java, options, classPath);
    }

    Path cache() {
        return dir.resolve("worker-" + key + ".aot");
    }

    private Path configuration() {
        return dir.resolve("worker-" + key + ".aotconf");
    }

    /**
     * Where the recording worker writes at its exit: renamed to {@link #configuration} once it has ended, so nothing
     * reads a recording that is still being written.
     */
    private Path recording() {
        return dir.resolve("worker-" + key + ".aotconf.recording");
    }

    /** Claimed by the worker that records its run (its pid inside): one training at a time. */
    private Path training() {
        return dir.resolve("worker-" + key + ".training");
    }

    /**
     * The JVM options of the next worker: the cache where it is made; else, where no worker records yet, those that
     * make this one record ({@code mayRecord}; then {@link #recorded} must see its end). Starts the assembly where a
     * recording is there.
     */
    List<String> nextWorker(boolean mayRecord) {
        if (Files.isRegularFile(cache())) return List.of("-XX:AOTCache=" + cache());
        if (Files.isRegularFile(configuration())) {
            createInBackground();
            return List.of();
        }
        if (!mayRecord || !claimTraining()) return List.of();
        return List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + recording());
    }

    /** {@code worker} was started with the recording options: once it ends, the cache is assembled from its run. */
    void recorded(Process worker) {
        worker.onExit().thenRun(() -> {
            try {
                if (Files.isRegularFile(recording())) {
                    Files.move(recording(), configuration(), StandardCopyOption.ATOMIC_MOVE);
                    createInBackground();
                    return;
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "worker start-up cache: " + e);
            }
            release(); // killed before it could write its recording: the next worker records
        });
    }

    private void release() {
        try {
            Files.deleteIfExists(training());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "worker start-up cache: " + e);
        }
    }

    private boolean claimTraining() {
        try {
            Files.createDirectories(dir);
            Path claim = training();
            try {
                Files.writeString(
                        claim,
                        Long.toString(ProcessHandle.current().pid()),
                        StandardCharsets.US_ASCII,
                        StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // A service that died while its worker recorded leaves the claim: a later service takes it over.
                long owner = Long.parseLong(Files.readString(claim).strip());
                if (ProcessHandle.of(owner).filter(ProcessHandle::isAlive).isPresent()) return false;
                Files.writeString(claim, Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
                return true;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "worker start-up cache: cannot claim its training: " + e);
            return false;
        }
    }

    private void createInBackground() {
        if (!Files.isRegularFile(configuration()) || !CREATING.add(cache())) return;
        Thread.ofPlatform().daemon().name("worker-cache").start(() -> {
            try {
                if (!Files.isRegularFile(cache())) create();
            } finally {
                CREATING.remove(cache());
            }
        });
    }

    /** The assembly: a JVM of the workers' options reads the recording and writes the cache (at low priority). */
    private void create() {
        Path tmp =
                dir.resolve("worker-" + key + ".aot." + ProcessHandle.current().pid());
        Path log = dir.resolve("worker-" + key + ".log");
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/nice"))) cmd.addAll(List.of("/usr/bin/nice", "-n", "10"));
        cmd.add(java);
        cmd.addAll(options);
        cmd.addAll(List.of(
                "-XX:AOTMode=create",
                "-XX:AOTConfiguration=" + configuration(),
                "-XX:AOTCache=" + tmp,
                "-cp",
                classPath));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(log.toFile())
                    .redirectErrorStream(true)
                    .start();
            boolean done = p.waitFor(30, TimeUnit.MINUTES);
            if (!done) p.destroyForcibly();
            if (done && p.exitValue() == 0 && Files.isRegularFile(tmp)) {
                Files.move(tmp, cache(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                removeOthers();
                LOG.log(System.Logger.Level.INFO, "worker start-up cache made: " + cache());
            } else {
                // A recording the JVM cannot use would be retried with every start: drop it and record again.
                Files.deleteIfExists(configuration());
                release();
                LOG.log(
                        System.Logger.Level.WARNING,
                        "worker start-up cache not made (see " + log + "): " + String.join(" | ", tail(log)));
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "worker start-up cache not made: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a stray temporary file; the next assembly has another name
            }
        }
    }

    private static List<String> tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.subList(Math.max(0, lines.size() - 6), lines.size());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Another build's (or JVM's) files: of no use to this one's workers. */
    private void removeOthers() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("worker-") && !n.startsWith("worker-" + key + ".")) Files.deleteIfExists(p);
            }
        }
    }

    /** The JVM, its options and every class-path entry's size and time: what the cache is valid for. */
    private static String digest(String java, List<String> options, String classPath) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((java + "\n" + System.getProperty("java.vm.version") + "\n" + String.join(" ", options) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            for (String entry : classPath.split(File.pathSeparator)) {
                File f = new File(entry);
                d.update((entry + ":" + f.length() + ":" + f.lastModified() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
