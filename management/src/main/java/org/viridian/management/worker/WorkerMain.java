package org.viridian.management.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.viridian.confine.Confinement;
import org.viridian.confine.Mount;
import org.viridian.confine.Policy;
import org.viridian.confine.Report;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.KvmEngine;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.VmEngine;
import org.viridian.management.service.VmExit;

/**
 * A VM worker process: {@code WorkerMain <runtime dir>}. Reads the VM's launch file, writes its pid, builds and starts
 * the VM (on KVM; tests name another engine class in the system property {@value #ENGINE_PROPERTY}), then serves the
 * service on the runtime directory's socket ({@link WorkerServer}) until the VM ends, which it records and reports;
 * then it exits. A failure to start is its output's last line, and exit status 1.
 */
public final class WorkerMain {
    public static final String ENGINE_PROPERTY = "viridian.worker.engine";
    static final java.time.Duration LINGER = java.time.Duration.ofSeconds(30),
            CLOSE_WAIT = java.time.Duration.ofSeconds(10);
    private static final System.Logger LOG = System.getLogger(WorkerMain.class.getName());

    private WorkerMain() {}

    /** The worker log's line that says where its start's time went. */
    public static final String TIMING = "worker start:";

    public static void main(String[] args) {
        boolean standby = args.length == 2 && args[0].equals(WorkerStandby.ARG);
        if (args.length != 1 && !standby) {
            System.err.println("usage: WorkerMain <runtime dir> | " + WorkerStandby.ARG + " <standby dir>");
            System.exit(2);
        }
        String taken = standby ? standby(Path.of(args[1])) : args[0];
        long entered = System.nanoTime();
        RuntimeDir dir = new RuntimeDir(Path.of(taken));
        WorkerServer server;
        try {
            dir.writePid(ProcessHandle.current().pid());
            RuntimeDir.Launch launch = dir.readLaunch();
            long read = System.nanoTime();
            if (launch.version() != WorkerMessage.VERSION)
                throw new IllegalArgumentException(
                        "launch file of version " + launch.version() + ", this worker is " + WorkerMessage.VERSION);
            ConsoleBuffer console = new ConsoleBuffer();
            VmEngine engine = engine(launch);
            RunningVm vm = launch.restoreFrom() == null
                    ? engine.launch(launch.config(), console)
                    : engine.restore(launch.config(), console, Path.of(launch.restoreFrom()));
            // Where a start's time goes (`bench start` prints it): the JVM's own start, the launch file, the VM's
            // build.
            System.out.printf(
                    "%s JVM %s, launch read %d ms, VM %s %d ms%n",
                    TIMING,
                    standby
                            ? "in standby"
                            : ProcessHandle.current()
                                            .info()
                                            .startInstant()
                                            .map(t -> java.time.Duration.between(t, java.time.Instant.now())
                                                            .toMillis()
                                                    - (System.nanoTime() - entered) / 1_000_000)
                                            .orElse(-1L)
                                    + " ms",
                    (read - entered) / 1_000_000,
                    launch.restoreFrom() == null ? "built" : "restored",
                    (System.nanoTime() - read) / 1_000_000);
            server = new WorkerServer(dir, launch.config().id().toString(), vm, console);
            WorkerServer s = server;
            vm.exit().whenComplete((x, failure) -> Thread.ofPlatform()
                    .name("worker-exit")
                    .start(() ->
                            ended(s, vm, x != null ? x : new VmExit("the VM ended: " + failure, null, true, null))));
            long built = System.nanoTime();
            fenceOnLease(dir, vm);
            awaitWarmUp();
            long warm = System.nanoTime();
            if (launch.confine()) confine(dir, launch.config().id().toString());
            System.out.printf(
                    "worker serving: %d ms after its VM was %s (waited for the warm-up %d ms, confinement %d ms)%n",
                    (System.nanoTime() - built) / 1_000_000,
                    launch.restoreFrom() == null ? "built" : "restored",
                    (warm - built) / 1_000_000,
                    (System.nanoTime() - warm) / 1_000_000);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.err.println("failed to start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            System.exit(1);
            return;
        }
        try {
            server.serve();
        } catch (Exception e) {
            // Without its socket the VM cannot be reached: it is stopped rather than left running unmanaged.
            LOG.log(System.Logger.Level.ERROR, "cannot serve on " + dir.socket(), e);
            System.err.println("failed to start: cannot listen on " + dir.socket() + ": " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * A worker started ahead ({@link WorkerStandby}): reads the sample launch file in {@code dir} and checks the host
     * as its engine would (first uses that cost seconds where the CPU is slow), then waits for the runtime directory of its VM on standard input and leaves its own directory. Ends
     * the process when the input closes first (its service is gone, or discarded it).
     */
    private static String standby(Path dir) {
        long t0 = System.nanoTime();
        try {
            // The JSON reader's first use, and the KVM binding's (the host check opens /dev/kvm, asks its capabilities)
            RuntimeDir.Launch sample = new RuntimeDir(dir).readLaunch();
            VmEngine engine = engine(sample);
            if (engine.unavailableReason().isEmpty()) warmUp = startWarmUp(engine, sample);
        } catch (java.io.IOException | ReflectiveOperationException | RuntimeException e) {
            System.out.println("standby: no warm-up (" + e.getMessage() + ")");
        }
        System.out.printf("standby: ready in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        String line;
        try {
            line = new java.io.BufferedReader(
                            new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))
                    .readLine();
        } catch (java.io.IOException e) {
            line = null;
        }
        WorkerStandby.delete(dir);
        if (line == null || line.isBlank()) System.exit(0);
        // The warm-up is no use now that its VM is here: it stops at its next step, not to compete with the VM's build.
        Thread t = warmUp;
        if (t != null) t.interrupt();
        return line.strip();
    }

    /** The standby's warm-up, while it runs (null: none). */
    private static volatile Thread warmUp;

    /**
     * A throwaway VM built, saved and restored (VmEngine#warmUp) on a thread of its own, so a VM handed over mid-way
     * is not kept waiting for it, once the host has a processor to spare (HostIdle: the warm-up only makes a later
     * start faster, and must not slow down the VMs running now; a VM handed over first ends it at its next step). Not at a
     * lower priority: threads it starts inherit that (the integration services' shared timer thread, say), and the VM
     * it is handed over would run with them.
     */
    private static Thread startWarmUp(VmEngine engine, RuntimeDir.Launch sample) {
        return Thread.ofPlatform().daemon().name("standby-warm-up").start(() -> {
            long t0 = System.nanoTime();
            try {
                // Not for ever: on a host its guests keep busy (one CPU, say) a standby that never warms up makes each
                // start and restore seconds slower (the nested host's destination restore: 10.8 s cold, 3.4 s warm).
                if (!HostIdle.await(java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(60)))
                    System.out.println("standby: the host stayed busy for a minute; warming up all the same");
                long waited = System.nanoTime() - t0;
                engine.warmUp(sample.config());
                warmUpProtocol();
                System.gc(); // its garbage is not left to make the worker's heap larger
                System.out.printf(
                        "standby: warmed up in %d ms, after waiting %d ms for a quiet host%n",
                        (System.nanoTime() - t0 - waited) / 1_000_000, waited / 1_000_000);
            } catch (InterruptedException | java.nio.channels.ClosedByInterruptException e) {
                System.out.println("standby: warm-up abandoned after " + (System.nanoTime() - t0) / 1_000_000
                        + " ms (handed a VM before it was done)");
            } catch (Exception | Error e) {
                System.out.println("standby: warm-up failed (" + e + ")");
            }
        });
    }

    /**
     * The worker protocol's first frames, each way (the service's hello parsed, the worker's hello and first events
     * written): the JSON mapper builds its readers and writers of the message types on first use.
     */
    private static void warmUpProtocol() throws ProtocolException {
        FrameCodec.parseFrame(
                FrameCodec.encode(new WorkerMessage.ServiceHello(WorkerMessage.VERSION)), WorkerMessage.ToWorker.class);
        FrameCodec.encode(new WorkerMessage.WorkerHello(
                WorkerMessage.VERSION,
                ProcessHandle.current().pid(),
                "warm-up",
                WorkerMessage.RunState.RUNNING,
                new byte[1]));
        FrameCodec.encode(new WorkerMessage.StateChanged(WorkerMessage.RunState.RUNNING));
        FrameCodec.encode(new WorkerMessage.Console(new byte[1]));
    }

    /** Waits for the standby's warm-up to end: the confinement that follows would refuse what it still does. */
    private static void awaitWarmUp() throws InterruptedException {
        Thread t = warmUp;
        if (t != null) t.join();
        warmUp = null;
    }

    /**
     * A clustered VM's worker powers the VM off itself once the deadline its service renews every heartbeat has passed
     * (a killed or hung service no longer renews it): its cluster lease could expire next, and another host start it.
     */
    private static void fenceOnLease(RuntimeDir dir, RunningVm vm) {
        Path lease = dir.path().resolve(RuntimeDir.LEASE);
        Thread.ofPlatform().daemon().name("worker-fence").start(() -> {
            while (!vm.exit().isDone()) {
                try {
                    long deadline =
                            Long.parseLong(java.nio.file.Files.readString(lease).strip());
                    if (System.nanoTime() - deadline > 0) {
                        LOG.log(System.Logger.Level.WARNING, "cluster lease not renewed by the service: powering off");
                        vm.powerOff("fenced: the host service stopped renewing the VM's cluster lease");
                        return;
                    }
                } catch (java.io.IOException | NumberFormatException e) {
                    // no lease (not clustered), or being replaced: nothing to enforce now
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * Jails the worker and installs its seccomp filter (module {@code confine}) now that the VM holds what it needs
     * (/dev/kvm, its memory, disks and adapters are open) and before it serves the service: the jail keeps the JDK, the
     * class path and the runtime directory (its socket and exit record). A worker that asked for confinement and cannot
     * have it stops its VM and exits: it must not run a guest unconfined.
     */
    private static void confine(RuntimeDir dir, String vmId) {
        Path state = dir.path().toAbsolutePath().getParent().getParent();
        try {
            Path jail = Files.createDirectories(RuntimeDir.jail(state, vmId));
            Report r = Confinement.apply(Policy.forVmWorker(jail).withMount(Mount.readWrite(dir.path())));
            System.out.print("confined:\n" + r);
            System.out.flush();
        } catch (IOException | RuntimeException e) {
            System.err.println("failed to start: cannot confine the worker: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * The VM ended (on whatever thread ended it, which may be one of its own): the VM's resources are freed (bounded: a
     * close that hangs must not keep the worker), then the exit is recorded and told, and the worker exits. Freed
     * first because a service that sees the VM off may start it again, or give its disks to another command, at once:
     * its disk files must be flushed and closed by then. With no service connected it waits {@link #LINGER} for one
     * (the service that started it connects right after the start, and a guest may be done before), then leaves the
     * exit in the runtime directory.
     */
    private static void ended(WorkerServer server, RunningVm vm, VmExit x) {
        Thread closer = Thread.ofPlatform().daemon().start(vm::close);
        try {
            closer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.vmExited(x);
        try {
            server.awaitDelivered(LINGER);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(0);
    }

    private static VmEngine engine(RuntimeDir.Launch l) throws ReflectiveOperationException {
        String test = System.getProperty(ENGINE_PROPERTY);
        if (test != null && !test.isEmpty())
            return (VmEngine) Class.forName(test).getDeclaredConstructor().newInstance();
        return new KvmEngine(Path.of(l.guestDir()), new PresentSwitches(Optional.ofNullable(l.switchesUnavailable())));
    }
}
