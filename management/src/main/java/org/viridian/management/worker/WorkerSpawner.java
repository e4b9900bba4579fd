package org.viridian.management.worker;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a worker JVM for a runtime directory: this JVM's java and class path, a lean heap (guest memory is not Java
 * heap), the workers' start-up cache ({@link WorkerStartupCache}; else the JDK's class-data archive), in a session of its own (a terminal's Ctrl-C to the service does not reach it)
 * with its output in the runtime directory (it outlives the service's pipes).
 */
final class WorkerSpawner {
    private static final System.Logger LOG = System.getLogger(WorkerSpawner.class.getName());
    /** util-linux's, or busybox's (the nested-KVM host's); both exec in place in a process that leads no group. */
    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    /** Off with -Dviridian.worker.lean=false: the worker's memory options as before them (`bench start`'s baseline). */
    static final String LEAN_PROPERTY = "viridian.worker.lean";

    /**
     * How long after a VM's start the next standby starts: a JVM's start competes with the guest's boot for the CPU
     * (on the nested host's 2 processors it delayed the guest's first console line by seconds).
     */
    static Duration standbyDelay() {
        return Duration.ofMillis(Long.getLong(STANDBY_DELAY_PROPERTY, 15_000));
    }

    static final String STANDBY_DELAY_PROPERTY = "viridian.worker.standbyDelayMillis";

    private final String engineClass;
    private final Path stateDir;
    private final boolean confined;
    private WorkerStandby standby;
    private boolean starting;
    private boolean closed;

    /**
     * {@code engineClass}: the engine the worker runs (tests; their workers start without a start-up cache); null: KVM.
     * {@code confined}: the workers jail themselves, so none can write a recording for the cache when it exits.
     */
    WorkerSpawner(String engineClass, Path stateDir, boolean confined) {
        this.engineClass = engineClass;
        this.stateDir = stateDir;
        this.confined = confined;
    }

    /**
     * The VM's worker: the standby where one is ready, else a JVM started now. {@code standby}: keep a worker ready for
     * the next VM (started {@link #standbyDelay} later).
     */
    Process spawn(RuntimeDir dir, boolean standby) throws IOException {
        String java = java();
        String classPath = System.getProperty("java.class.path");
        List<String> options = options();
        WorkerStartupCache cache = cache(java, options, classPath);
        Process p = null;
        WorkerStandby ready = standby ? takeStandby() : null;
        if (ready != null && ready.handTo(dir)) p = ready.process();
        if (p == null) {
            List<String> cacheOptions = cache == null ? List.of() : cache.nextWorker(!confined);
            List<String> cmd = command(java, options, cacheOptions, classPath);
            cmd.add(dir.path().toString());
            ProcessBuilder b = new ProcessBuilder(cmd);
            environment(b);
            p = b.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.log().toFile()))
                    .redirectErrorStream(true)
                    .start();
            if (cacheOptions.contains("-XX:AOTMode=record")) cache.recorded(p);
        }
        if (standby)
            startStandby(
                    java,
                    options,
                    cache,
                    classPath,
                    Files.readAllBytes(dir.path().resolve(RuntimeDir.LAUNCH)));
        return p;
    }

    /** The worker's command up to its arguments: setsid, java and its options, the engine, the class path, the main. */
    private List<String> command(String java, List<String> options, List<String> cacheOptions, String classPath) {
        List<String> cmd = new ArrayList<>();
        SETSID.stream().filter(Files::isExecutable).findFirst().ifPresent(x -> cmd.add(x.toString()));
        cmd.add(java);
        cmd.addAll(options);
        cmd.addAll(cacheOptions);
        if (engineClass != null) cmd.add("-D" + WorkerMain.ENGINE_PROPERTY + "=" + engineClass);
        cmd.addAll(List.of("-cp", classPath, WorkerMain.class.getName()));
        return cmd;
    }

    /** The worker's environment: glibc's arenas kept few, unless the lean options are off. */
    static void environment(ProcessBuilder b) {
        // glibc gives each thread that mallocs an arena of its own (up to 8 per CPU), each keeping what it once held.
        if (lean()) b.environment().put("MALLOC_ARENA_MAX", "2");
    }

    /**
     * A standby started before any VM asks for one (the service has just started): its first VM, a restore or a
     * planned move's arrival too, does not wait for a JVM's start. {@code sampleLaunch}: a launch file's bytes.
     */
    void standbyAhead(byte[] sampleLaunch) {
        String java = java();
        String classPath = System.getProperty("java.class.path");
        List<String> options = options();
        startStandby(java, options, cache(java, options, classPath), classPath, sampleLaunch);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private WorkerStartupCache cache(String java, List<String> options, String classPath) {
        return engineClass == null ? WorkerStartupCache.under(stateDir, java, options, classPath) : null;
    }

    private synchronized WorkerStandby takeStandby() {
        WorkerStandby s = standby;
        standby = null;
        return s;
    }

    /**
     * The next VM's worker, started in the background. Where no start-up cache is made yet it may record one (unless
     * workers are confined), as the first worker started for a VM would: a standby started with the service is often
     * the first worker of all, and its warm-up runs the build, save and restore paths. A standby already there is kept.
     */
    private void startStandby(
            String java, List<String> options, WorkerStartupCache cache, String classPath, byte[] sampleLaunch) {
        synchronized (this) {
            if (closed || standby != null || starting) return;
            starting = true;
        }
        Thread.ofPlatform().daemon().name("worker-standby").start(() -> {
            WorkerStandby s = null;
            try {
                // Not while the VM just handed over boots: a JVM's start takes the CPU its guest needs now.
                Thread.sleep(standbyDelay().toMillis());
                List<String> cacheOptions = cache == null ? List.of() : cache.nextWorker(!confined);
                s = WorkerStandby.start(
                        command(java, options, cacheOptions, classPath), RuntimeDir.root(stateDir), sampleLaunch);
                if (cacheOptions.contains("-XX:AOTMode=record")) cache.recorded(s.process());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot start a standby worker: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                starting = false;
                if (!closed) {
                    standby = s;
                    s = null;
                }
            }
            if (s != null) s.discard();
        });
    }

    /** The service ends: its standby too (VMs' workers stay). */
    void close() {
        WorkerStandby s;
        synchronized (this) {
            closed = true;
            s = standby;
            standby = null;
        }
        if (s != null) s.discard();
    }

    /**
     * The worker JVM's options (the start-up cache's, the engine and the class path aside): a lean heap (guest memory
     * is not Java heap) and, unless switched off, lean native memory; then the service's own options of how to run.
     * -Xshare stays the JVM's default: the start-up cache's options refuse to be combined with it.
     */
    static List<String> options() {
        List<String> options = new ArrayList<>(List.of(
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                "-Xms8m",
                "-Xmx256m",
                "-XX:MaxMetaspaceSize=128m"));
        // The VMM's own memory is a VM's overhead (`bench start`): 8-byte object headers, and C-heap the compilers
        // freed handed back to the kernel every few seconds instead of kept by malloc.
        if (lean()) options.addAll(List.of("-XX:+UseCompactObjectHeaders", "-XX:TrimNativeHeapInterval=5000"));
        options.addAll(inheritedOptions());
        return options;
    }

    private static boolean lean() {
        return Boolean.parseBoolean(System.getProperty(LEAN_PROPERTY, "true"));
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
