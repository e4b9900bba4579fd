package org.viridian.management.worker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.viridian.management.config.VmConfig;
import org.viridian.management.config.VmConfigs;
import org.viridian.management.config.VmRequest;
import org.viridian.management.service.KvmEngine;
import org.viridian.management.service.Recovered;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.SwitchPorts;
import org.viridian.management.service.VmEngine;
import org.viridian.management.service.VmExit;

/**
 * One worker process per running VM ({@link WorkerMain}): launching a VM spawns its worker, which builds and runs it,
 * and returns a {@link WorkerClient} that forwards every operation over the worker's socket. Workers outlive the
 * service; a new service adopts them ({@link #recover}). The service keeps the switches: it makes them present before a
 * worker plugs an adapter in.
 */
public final class WorkerEngine implements VmEngine {
    private static final System.Logger LOG = System.getLogger(WorkerEngine.class.getName());
    /**
     * How long a worker may take to answer: a JVM's start plus the VM's build, seconds on hardware, but a minute and
     * more under emulation (the nested-KVM host runs on TCG). A worker that dies ends the wait at once.
     */
    static final Duration START_TIMEOUT = Duration.ofMinutes(5);

    private final Path stateDir;
    private final Path guestDir;
    private final SwitchPorts switches;
    private final String engineClass;
    private final WorkerSpawner spawner;
    private final boolean confine;
    /** Keep a worker started ahead for the next VM ({@link WorkerStandby}). */
    private final boolean standby;

    /** Off with -Dviridian.worker.standby=false (`bench start` measures with and without). */
    static final String STANDBY_PROPERTY = "viridian.worker.standby";

    private WorkerEngine(Path stateDir, SwitchPorts switches, String engineClass) {
        this(stateDir, switches, engineClass, false, engineClass == null && standbyByDefault());
    }

    private WorkerEngine(Path stateDir, SwitchPorts switches, String engineClass, boolean confine, boolean standby) {
        this.confine = confine;
        this.standby = standby;
        this.stateDir = stateDir.toAbsolutePath();
        this.guestDir = this.stateDir.resolve("guests");
        this.switches = switches;
        this.engineClass = engineClass;
        this.spawner = new WorkerSpawner(engineClass, this.stateDir, confine);
    }

    /** Workers running VMs on this host's KVM, with adapters on {@code switches}. */
    public static WorkerEngine kvm(Path stateDir, SwitchPorts switches) {
        return new WorkerEngine(stateDir, switches, null);
    }

    /** Workers running the engine {@code engineClass} (a VmEngine with a public no-argument constructor; tests). */
    public static WorkerEngine running(Path stateDir, String engineClass) {
        return new WorkerEngine(stateDir, null, engineClass);
    }

    /** The same engine whose workers confine themselves ({@code on}) once their VM is built ({@link WorkerMain}). */
    public WorkerEngine confined(boolean on) {
        return new WorkerEngine(stateDir, switches, engineClass, on, standby);
    }

    /** The same engine, keeping ({@code on}) a worker started ahead for the next VM or not. */
    public WorkerEngine withStandby(boolean on) {
        return new WorkerEngine(stateDir, switches, engineClass, confine, on);
    }

    private static boolean standbyByDefault() {
        return Boolean.parseBoolean(System.getProperty(STANDBY_PROPERTY, "true"));
    }

    /**
     * The service has loaded its VMs: a worker is started ahead for the first VM it starts (where standbys are on and
     * the host can run VMs), so that start, a restore or a planned move's arrival does not wait for a JVM's start.
     * Its sample launch is a default VM's.
     */
    @Override
    public void ready() {
        if (!standby || unavailableReason().isPresent()) return;
        VmConfig sample = VmConfigs.create(
                new VmRequest("standby-sample", null, null, null, null, null, null, null, null),
                UUID.randomUUID(),
                Instant.now());
        try {
            spawner.standbyAhead(RuntimeDir.launchBytes(
                    new RuntimeDir.Launch(WorkerMessage.VERSION, sample, guestDir.toString(), null, confine, null)));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start a standby worker: " + e);
        }
    }

    /** The standby worker goes with the service; VMs' workers stay. */
    @Override
    public void close() {
        spawner.close();
    }

    @Override
    public Optional<String> unavailableReason() {
        if (engineClass == null) return new KvmEngine(guestDir).unavailableReason();
        return Optional.empty();
    }

    @Override
    public boolean vmsOutliveService() {
        return true;
    }

    @Override
    public RunningVm launch(VmConfig c, OutputStream console) throws IOException {
        return start(c, console, null);
    }

    /** The worker reads the state before it confines itself; the file stays where it is until the VM runs. */
    @Override
    public RunningVm restore(VmConfig c, OutputStream console, Path savedState) throws IOException {
        return start(c, console, savedState.toAbsolutePath().toString());
    }

    private RunningVm start(VmConfig c, OutputStream console, String restoreFrom) throws IOException {
        RuntimeDir dir = RuntimeDir.of(stateDir, c.id().toString());
        var running = dir.pid().stream()
                .mapToObj(ProcessHandle::of)
                .flatMap(Optional::stream)
                .filter(dir::isWorker)
                .findFirst();
        // Never two workers for one VM (its disks): one that runs on unknown to the service is not cleared away here.
        if (running.isPresent())
            throw new IOException("VM '" + c.name() + "' still has a worker process ("
                    + running.get().pid() + ")");
        dir.create();
        String switchesUnavailable = "this engine has no virtual switches";
        if (engineClass == null && switches != null) {
            // The service owns the switches: the ones the VM's adapters name are present on the host before it starts.
            KvmEngine.networkAdapters(c, switches);
            switchesUnavailable = switches.unavailable().orElse(null);
        }
        dir.writeLaunch(new RuntimeDir.Launch(
                WorkerMessage.VERSION, c, guestDir.toString(), switchesUnavailable, confine, restoreFrom));
        long t0 = System.nanoTime();
        Process p = spawner.spawn(dir, standby && standbyByDefault());
        long deadline = t0 + START_TIMEOUT.toNanos();
        try {
            while (true) {
                if (!p.isAlive()) {
                    String why = dir.lastLogLine();
                    throw new IOException(
                            why.startsWith("failed to start: ")
                                    ? why.substring("failed to start: ".length())
                                    : WorkerSpawner.death(p) + " before the VM ran: " + why);
                }
                if (Files.exists(dir.socket())) {
                    try {
                        WorkerClient client = WorkerClient.connect(
                                dir, c.name(), p.toHandle(), () -> WorkerSpawner.death(p), kvmSwitches(), console);
                        LOG.log(
                                System.Logger.Level.INFO,
                                "VM '" + c.name() + "': worker " + p.pid() + " answered "
                                        + (System.nanoTime() - t0) / 1_000_000 + " ms after its launch was written");
                        return client;
                    } catch (IOException e) {
                        // bound but not accepting yet
                    } catch (ProtocolException e) {
                        throw new IOException("the VM's worker broke the protocol: " + e.getMessage());
                    }
                }
                if (System.nanoTime() > deadline)
                    throw new IOException("the VM's worker did not answer within " + START_TIMEOUT.toSeconds()
                            + " s (the last line of its log: " + dir.lastLogLine() + ")");
                Thread.sleep(10);
            }
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            dir.delete();
            throw e;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            dir.delete();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the VM's worker started");
        }
    }

    /**
     * The VM's worker, if it still runs from an earlier service: adopted, its scrollback written to {@code console}.
     * A worker that has ended left how its VM ended in the runtime directory, or nothing (then its VM crashed with it).
     */
    @Override
    public Optional<Recovered> recover(VmConfig c, OutputStream console) throws IOException {
        RuntimeDir dir = RuntimeDir.of(stateDir, c.id().toString());
        if (!dir.exists()) return Optional.empty();
        var pid = dir.pid();
        Optional<ProcessHandle> alive =
                pid.isPresent() ? ProcessHandle.of(pid.getAsLong()).filter(ProcessHandle::isAlive) : Optional.empty();
        if (alive.isPresent()) {
            ProcessHandle h = alive.get();
            try {
                WorkerClient client =
                        WorkerClient.connect(dir, c.name(), h, () -> WorkerSpawner.death(h), kvmSwitches(), console);
                LOG.log(System.Logger.Level.INFO, "VM '" + c.name() + "': adopted worker process " + h.pid());
                return Optional.of(new Recovered.Running(client, client.startedPaused()));
            } catch (IOException | ProtocolException e) {
                // A pid taken by another process since, or a worker that no longer answers: either way the VM is gone
                // for this service; a worker of ours that hangs is stopped so that it does not run on unmanaged.
                if (dir.isWorker(h)) h.destroyForcibly();
                LOG.log(
                        System.Logger.Level.WARNING,
                        "VM '" + c.name() + "': worker " + h.pid() + ": " + e.getMessage());
            }
        }
        VmExit x = dir.exit()
                .orElseGet(() -> new VmExit(
                        "worker process " + (pid.isPresent() ? pid.getAsLong() : "?")
                                + " ended while the service was away, without recording how its VM ended",
                        null,
                        true,
                        null));
        dir.delete();
        return Optional.of(new Recovered.Ended(x));
    }

    private SwitchPorts kvmSwitches() {
        return engineClass == null ? switches : null;
    }

    /** Writes the VM's fence deadline into its runtime directory, where its worker reads it (atomically replaced). */
    @Override
    public void lease(java.util.UUID vm, long deadlineNanos) {
        RuntimeDir dir = RuntimeDir.of(stateDir, vm.toString());
        if (!dir.exists()) return;
        java.nio.file.Path tmp = dir.path().resolve(RuntimeDir.LEASE + ".tmp");
        try {
            java.nio.file.Files.writeString(tmp, Long.toString(deadlineNanos));
            java.nio.file.Files.move(
                    tmp, dir.path().resolve(RuntimeDir.LEASE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot renew the lease of VM " + vm + ": " + e.getMessage());
        }
    }
}
