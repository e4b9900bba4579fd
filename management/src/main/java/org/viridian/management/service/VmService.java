package org.viridian.management.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.viridian.management.config.AtomicFiles;
import org.viridian.management.config.ConfigStore;
import org.viridian.management.config.Disk;
import org.viridian.management.config.InvalidConfigException;
import org.viridian.management.config.Json;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.VmConfig;
import org.viridian.management.config.VmConfigs;
import org.viridian.management.config.VmRequest;
import org.viridian.management.events.Event;
import org.viridian.management.events.EventBus;
import org.viridian.management.jobs.Job;
import org.viridian.management.jobs.JobManager;
import org.viridian.management.resources.Admission;
import org.viridian.management.resources.Cgroups;
import org.viridian.management.resources.HostResources;
import org.viridian.management.resources.ProcessMemory;
import org.viridian.management.resources.VmResourceControls;
import org.viridian.management.state.IllegalTransitionException;
import org.viridian.management.state.LastExit;
import org.viridian.management.state.StatusStore;
import org.viridian.management.state.VmOperation;
import org.viridian.management.state.VmState;
import org.viridian.management.state.VmStatus;
import org.viridian.vswitch.SwitchSpec;

/**
 * The VMs this host owns: their definitions (persisted before any change is acknowledged), their states (every
 * change validated by {@link VmOperation} and {@link VmState}, persisted and published as an event), and their
 * running instances. Long operations (start, stop, reset) run as jobs.
 */
public final class VmService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VmService.class.getName());
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private final ConfigStore configs;
    private final StatusStore statuses;
    private final VmEngine engine;
    private final EventBus events;
    private final JobManager jobs;
    private final Clock clock;
    private final Map<UUID, VmEntry> vms = new LinkedHashMap<>();
    private final List<String> loadProblems = new ArrayList<>();
    private volatile Predicate<String> switchDefined = name -> true;
    private volatile Admission admission = new Admission(false);
    private volatile Supplier<HostResources> host = HostResources::read;
    private volatile Cgroups cgroups = Cgroups.detect();

    public VmService(
            ConfigStore configs, StatusStore statuses, VmEngine engine, EventBus events, JobManager jobs, Clock clock) {
        this.configs = configs;
        this.statuses = statuses;
        this.engine = engine;
        this.events = events;
        this.jobs = jobs;
        this.clock = clock;
    }

    /**
     * Reads every VM definition from the state directory, and adopts the VMs that still run from before (their workers
     * outlived the previous service): running or paused as they are, their consoles' scrollback back. A VM that ended
     * while no service watched is reported as it ended; one that ran inside a service that died is off.
     */
    public synchronized void load() throws IOException {
        ConfigStore.Loaded loaded = configs.loadAll();
        loadProblems.addAll(loaded.problems());
        loaded.problems().forEach(p -> LOG.log(System.Logger.Level.WARNING, "unreadable VM definition: " + p));
        for (VmConfig c : loaded.configs()) {
            VmStatus s = statuses.recover(configs.dir(c.id()), clock.instant());
            if (Files.exists(configs.dir(c.id()).resolve(MigrationMessages.Marker.FILE))
                    && s.state() != VmState.MIGRATING)
                s = new VmStatus(VmState.MIGRATING, clock.instant(), null); // the marker is written first
            VmEntry e = new VmEntry(c, s);
            vms.put(c.id(), e);
            Recovered r = null;
            try {
                r = engine.recover(c, e.console).orElse(null);
            } catch (IOException | RuntimeException x) {
                LOG.log(System.Logger.Level.WARNING, "VM '" + c.name() + "': cannot reattach: " + message(x));
            }
            switch (r) {
                case null -> {}
                case Recovered.Running run -> {
                    e.running = run.vm();
                    e.status = new VmStatus(run.paused() ? VmState.PAUSED : VmState.RUNNING, clock.instant(), null);
                    watch(e, run.vm());
                }
                case Recovered.Ended end ->
                    e.status = new VmStatus(
                            end.exit().crashed() ? VmState.CRASHED : VmState.OFF,
                            clock.instant(),
                            exit(
                                    end.exit().reason(),
                                    end.exit().exitStatus(),
                                    end.exit().crashReport()));
            }
            persist(e);
        }
        resolveMigrations();
        try {
            engine.ready();
        } catch (RuntimeException x) {
            LOG.log(System.Logger.Level.WARNING, "the VM engine could not prepare for the next start: " + message(x));
        }
    }

    /**
     * How VMs get the host's resources: admission at start ({@code admission}, against {@code host} as it is then) and
     * the cgroups running VMs' processes are put in.
     */
    public void resources(Admission admission, Supplier<HostResources> host, Cgroups cgroups) {
        this.admission = admission;
        this.host = host;
        this.cgroups = cgroups;
    }

    /** What the host has for VMs now, for the API's host resource. */
    public synchronized HostView host() {
        HostResources h = host.get();
        List<VmConfig> active = activeConfigs(null);
        return new HostView(
                h,
                Admission.rootReserve(h.memTotal()),
                active.stream().mapToLong(Admission::need).sum(),
                active.size(),
                admission.memoryOvercommit(),
                cgroups.mechanism(),
                cgroups instanceof Cgroups.Unavailable u ? u.reason() : null);
    }

    /** The host's figures as admission sees them, and how resource controls are applied. */
    public record HostView(
            HostResources host,
            long rootReserve,
            long givenToVms,
            int activeVms,
            boolean memoryOvercommit,
            String cgroups,
            String cgroupsUnavailableReason) {}

    /**
     * The definitions of the VMs that hold memory and processors now, {@code except} one. Caller holds this (not the
     * entries' locks: a VM's state moves under its own lock, and reading it slightly late only over-counts).
     */
    private List<VmConfig> activeConfigs(VmEntry except) {
        List<VmConfig> out = new ArrayList<>();
        for (VmEntry x : vms.values()) {
            if (x != except && x.status.state().isActive()) out.add(x.config);
        }
        return out;
    }

    /** Which switches adapters may name ({@link SwitchService#defined}, and the default NAT switch, made on use). */
    public void switches(Predicate<String> defined) {
        this.switchDefined = defined;
    }

    /** Before any lock: the switch service asks this service for the VMs' adapters under its own lock. */
    private void requireSwitches(VmRequest r) {
        if (r == null || r.networkAdapters() == null) return;
        for (NetworkAdapter a : r.networkAdapters()) {
            if (a == null || a.switchName() == null || a.switchName().equals(SwitchSpec.DEFAULT_NAT)) continue;
            if (!switchDefined.test(a.switchName()))
                throw new InvalidConfigException(
                        "networkAdapters.switchName",
                        "no virtual switch named '"
                                + (a.switchName().length() > 40 ? a.switchName().substring(0, 40) : a.switchName())
                                + "' (create it first; 'nat' is made on first use)");
        }
    }

    public synchronized List<String> loadProblems() {
        return List.copyOf(loadProblems);
    }

    public VmEngine engine() {
        return engine;
    }

    public synchronized List<VmView> list() {
        return vms.values().stream().map(VmEntry::view).toList();
    }

    public VmView get(String ref) {
        VmEntry e = entry(ref);
        synchronized (e) {
            return e.view();
        }
    }

    public VmView create(VmRequest r) throws IOException {
        VmConfig c = VmConfigs.create(r, UUID.randomUUID(), clock.instant());
        requireSwitches(r);
        VmEntry e;
        synchronized (this) {
            requireFreeName(c.name(), null);
            configs.save(c);
            e = new VmEntry(c, VmStatus.off(clock.instant()));
            persist(e);
            vms.put(c.id(), e);
        }
        events.publish(Event.VM_CREATED, c.id().toString(), c.name(), VmState.OFF.wire(), "VM created");
        return e.view();
    }

    /**
     * Changes a VM's settings. Network adapters may change while it runs: the change reaches the running VM first
     * (adapters added, removed or set as Add-, Remove- and Set-VMNetworkAdapter do), and is stored only once it did; a
     * change the VM refuses is undone and answered with the reason (409 hot_plug_failed), leaving the settings as
     * they were.
     */
    public VmView update(String ref, VmRequest r) throws IOException {
        VmEntry e = entry(ref);
        requireSwitches(r);
        if (r == null || r.networkAdapters() == null) return reconfigure(e, r, null);
        // Adapter changes of a VM go one at a time, and reach its running instance outside the service's locks:
        // plugging an adapter in may define the default switch, and the switch service reads this one's VMs under its
        // own lock.
        synchronized (e.adapterChanges) {
            VmConfig planned;
            List<NetworkAdapter> before;
            RunningVm running;
            synchronized (this) {
                synchronized (e) {
                    planned = VmConfigs.update(e.config, r, clock.instant());
                    checkChange(e, planned);
                    before = e.config.networkAdapters();
                    running = e.status.state() == VmState.RUNNING ? e.running : null;
                }
            }
            List<NetworkAdapter> after = planned.networkAdapters();
            if (running == null || before.equals(after)) return reconfigure(e, r, after);
            List<AdapterChange> done = plug(planned.name(), running, AdapterChange.between(before, after));
            try {
                return reconfigure(e, r, after);
            } catch (IOException | RuntimeException x) {
                unplug(running, done);
                throw x;
            }
        }
    }

    /** The request applied to the VM's settings now ({@code adapters}: the adapters to store instead of its own). */
    private VmView reconfigure(VmEntry e, VmRequest r, List<NetworkAdapter> adapters) throws IOException {
        VmConfig next;
        synchronized (this) {
            synchronized (e) {
                next = VmConfigs.update(e.config, r, clock.instant());
                if (adapters != null) next = next.withNetworkAdapters(adapters, next.modified());
                checkChange(e, next);
                applyControls(e, next);
                configs.save(next);
                e.config = next;
            }
        }
        events.publish(Event.VM_UPDATED, next.id().toString(), next.name(), null, "settings changed");
        return get(next.id().toString());
    }

    /**
     * Changed resource controls reach the running VM's cgroup at once; one the kernel refuses puts the old ones back
     * and is answered with the reason (409 resources_not_applied). Caller holds e's lock.
     */
    private void applyControls(VmEntry e, VmConfig next) {
        VmResourceControls controls = e.controls;
        if (controls == null || !controls.active() || next.resources().equals(e.config.resources())) return;
        try {
            controls.apply(next.resources());
        } catch (IOException x) {
            try {
                controls.apply(e.config.resources());
            } catch (IOException again) {
                LOG.log(System.Logger.Level.WARNING, "could not restore the resource controls: " + again.getMessage());
            }
            throw ServiceException.conflict(
                    "resources_not_applied",
                    "cannot change the resource controls of running VM '" + e.config.name() + "': " + x.getMessage()
                            + "; nothing was changed");
        }
    }

    /** Whether the VM's state allows going to {@code next}, and its name is free. Caller holds this and e's lock. */
    private void checkChange(VmEntry e, VmConfig next) {
        requireIdle(e);
        if (VmConfigs.hardwareDiffers(e.config, next)) VmOperation.RECONFIGURE.check(e.config.name(), e.status.state());
        if (!next.networkAdapters().equals(e.config.networkAdapters()))
            VmOperation.CHANGE_ADAPTERS.check(e.config.name(), e.status.state());
        if (!next.name().equals(e.config.name())) requireRenamable(e);
        if (!next.name().equalsIgnoreCase(e.config.name())) requireFreeName(next.name(), e.config.id());
    }

    /**
     * A saved VM keeps its name: its state file names the VM it belongs to, and a restore refuses a state that names
     * another (so a renamed VM could never resume). Caller holds e's lock.
     */
    private static void requireRenamable(VmEntry e) {
        if (e.status.state() != VmState.SAVED) return;
        throw new IllegalTransitionException(
                "cannot rename VM '" + e.config.name() + "': it is saved and its saved state is bound to its name;"
                        + " start it (or discard the state with vm stop) first",
                VmState.SAVED);
    }

    /** Applies the steps to the running VM; when one fails, those done are undone and the client is told why. */
    private List<AdapterChange> plug(String vm, RunningVm running, List<AdapterChange> steps) {
        List<AdapterChange> done = new ArrayList<>();
        for (AdapterChange step : steps) {
            try {
                step.applyTo(running);
                done.add(step);
            } catch (UnsupportedOperationException | IllegalArgumentException | IllegalStateException | IOException x) {
                unplug(running, done);
                throw ServiceException.conflict(
                        "hot_plug_failed",
                        "cannot change the network adapters of running VM '" + vm + "': " + message(x)
                                + "; nothing was changed");
            }
        }
        return done;
    }

    /** Undoes applied steps, last first; what cannot be undone is logged (the VM's next start uses the settings). */
    private void unplug(RunningVm running, List<AdapterChange> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            try {
                done.get(i).inverse().applyTo(running);
            } catch (Exception x) {
                LOG.log(System.Logger.Level.WARNING, "could not undo a network adapter change: " + message(x));
            }
        }
    }

    /** Attaches a disk; to a running VM too (hot add: the guest rescans its SCSI bus and finds it). */
    public VmView attachDisk(String ref, VmRequest.DiskRequest d) throws IOException {
        return changeDisks(
                ref,
                c -> VmConfigs.attach(c.disks(), d),
                (running, before, after) -> {
                    for (Disk added : after) if (!before.contains(added)) running.attachDisk(added);
                },
                "disk attached");
    }

    /** Detaches a disk; from a running VM too (hot remove). */
    public VmView detachDisk(String ref, int slot) throws IOException {
        return changeDisks(
                ref,
                c -> {
                    if (c.disks().stream().noneMatch(d -> d.slot() == slot)) {
                        throw ServiceException.notFound("VM '" + c.name() + "' has no disk in slot " + slot);
                    }
                    return c.disks().stream().filter(d -> d.slot() != slot).toList();
                },
                (running, before, after) -> running.detachDisk(slot),
                "disk detached");
    }

    /**
     * Changes a disk's IOPS/bandwidth limits (Set-VMHardDiskDrive -MaximumIOPS, libvirt's iotune); a running or paused
     * VM's disk is held to them at once, and one that cannot take them leaves everything as it was.
     */
    public VmView setDiskLimits(String ref, int slot, VmRequest.DiskLimitsRequest r) throws IOException {
        VmEntry e = entry(ref);
        VmConfig next;
        synchronized (e) {
            Disk before = e.config.disks().stream()
                    .filter(d -> d.slot() == slot)
                    .findFirst()
                    .orElseThrow(() ->
                            ServiceException.notFound("VM '" + e.config.name() + "' has no disk in slot " + slot));
            Disk after = VmConfigs.limits(before, r);
            VmOperation.SET_DISK_LIMITS.check(e.config.name(), e.status.state());
            requireIdle(e);
            next = e.config.withDisks(
                    e.config.disks().stream().map(d -> d == before ? after : d).toList(), clock.instant());
            boolean live = e.status.state() == VmState.RUNNING || e.status.state() == VmState.PAUSED;
            if (live && e.running != null && !after.equals(before)) {
                try {
                    e.running.updateDisk(after);
                } catch (UnsupportedOperationException
                        | IllegalArgumentException
                        | IllegalStateException
                        | IOException x) {
                    throw ServiceException.conflict(
                            "disk_limits_not_applied",
                            "cannot change the disk limits of running VM '" + e.config.name() + "': " + x.getMessage()
                                    + "; nothing was changed");
                }
            }
            configs.save(next);
            e.config = next;
        }
        events.publish(Event.VM_UPDATED, next.id().toString(), next.name(), null, "disk limits changed");
        return get(ref);
    }

    /** What a disk change does to the running VM before it is recorded. */
    private interface HotChange {
        void apply(RunningVm running, List<Disk> before, List<Disk> after) throws IOException;
    }

    private VmView changeDisks(String ref, Function<VmConfig, List<Disk>> f, HotChange hot, String what)
            throws IOException {
        VmEntry e = entry(ref);
        VmConfig next;
        synchronized (e) {
            VmOperation.CHANGE_DISKS.check(e.config.name(), e.status.state());
            next = e.config.withDisks(f.apply(e.config), clock.instant());
            if (e.status.state() == VmState.RUNNING && e.running != null) {
                try {
                    hot.apply(e.running, e.config.disks(), next.disks());
                } catch (UnsupportedOperationException
                        | IllegalArgumentException
                        | IllegalStateException
                        | IOException x) {
                    throw ServiceException.conflict(
                            "hot_plug_failed",
                            "cannot change the disks of running VM '" + e.config.name() + "': " + x.getMessage());
                }
            }
            configs.save(next);
            e.config = next;
        }
        events.publish(Event.VM_UPDATED, next.id().toString(), next.name(), null, what);
        return get(ref);
    }

    /**
     * Defines a VM with the id and settings it has elsewhere, or redefines it while it is not active here: a clustered
     * VM arriving from the cluster (failover, planned move). Refused when another VM here has its name.
     */
    public VmView adopt(VmConfig c) throws IOException {
        VmEntry e;
        boolean created = false;
        synchronized (this) {
            requireFreeName(c.name(), c.id());
            e = vms.get(c.id());
            if (e == null) {
                configs.save(c);
                e = new VmEntry(c, VmStatus.off(clock.instant()));
                persist(e);
                vms.put(c.id(), e);
                created = true;
            } else {
                synchronized (e) {
                    if (e.status.state().isActive())
                        throw ServiceException.conflict(
                                "invalid_state", "VM '" + c.name() + "' is active here: its definition stays");
                    configs.save(c);
                    e.config = c;
                }
            }
        }
        events.publish(
                created ? Event.VM_CREATED : Event.VM_UPDATED,
                c.id().toString(),
                c.name(),
                null,
                "defined from the cluster");
        return get(c.id().toString());
    }

    /**
     * Removes this host's definition of a VM that is not active here (a clustered VM another host owns now). Returns
     * false when it is active, or unknown here.
     */
    public boolean forget(UUID id) throws IOException {
        VmEntry e;
        synchronized (this) {
            e = vms.get(id);
            if (e == null) return false;
            synchronized (e) {
                if (e.status.state().isActive()) return false;
                configs.delete(id);
                vms.remove(id);
            }
        }
        events.publish(Event.VM_DELETED, id.toString(), e.config.name(), null, "now defined on another host");
        return true;
    }

    /** Why the VM could not start here now (admission against the VMs active here), or empty when it could. */
    public Optional<String> admissionRefusal(VmConfig c) {
        synchronized (this) {
            return admission.refusal(c, activeConfigs(vms.get(c.id())), host.get());
        }
    }

    /** A VM's definition and state here, or empty where it has none. */
    public Optional<VmView> find(UUID id) {
        VmEntry e;
        synchronized (this) {
            e = vms.get(id);
        }
        if (e == null) return Optional.empty();
        synchronized (e) {
            return Optional.of(e.view());
        }
    }

    public void delete(String ref) throws IOException {
        VmEntry e = entry(ref);
        synchronized (this) {
            synchronized (e) {
                VmOperation.DELETE.check(e.config.name(), e.status.state());
                requireIdle(e);
                configs.delete(e.config.id());
                vms.remove(e.config.id());
            }
        }
        events.publish(Event.VM_DELETED, e.config.id().toString(), e.config.name(), null, "VM deleted");
    }

    /**
     * Starts the VM as a job, once admitted: the host must be able to give it its memory and processors next to the
     * VMs already running (the service lock makes two starts see each other).
     */
    public Job start(String ref) {
        VmEntry e = entry(ref);
        synchronized (this) {
            synchronized (e) {
                VmOperation.START.check(e.config.name(), e.status.state());
                requireIdle(e);
                boolean resume = e.status.state() == VmState.SAVED;
                engine.unavailableReason().ifPresent(why -> {
                    throw ServiceException.conflict(
                            "host_cannot_run_vms", "cannot start VM '" + e.config.name() + "': " + why);
                });
                admission.refusal(e.config, activeConfigs(e), host.get()).ifPresent(why -> {
                    throw ServiceException.conflict("insufficient_resources", why);
                });
                move(e, VmState.STARTING, null);
                return jobs.submit("start", e.config.id().toString(), e.config.name(), p -> launch(e, p, resume));
            }
        }
    }

    private Checkpoints checkpointsOf(VmEntry e) {
        return new Checkpoints(configs.dir(e.config.id()), org.viridian.management.config.Json.mapper());
    }

    /** A VM's checkpoints, oldest first, and the one its present descends from. */
    public record CheckpointTree(List<Checkpoint> checkpoints, UUID current) {}

    public CheckpointTree checkpoints(String ref) throws IOException {
        Checkpoints cps = checkpointsOf(entry(ref));
        return new CheckpointTree(cps.list(), cps.current().orElse(null));
    }

    /** Off, crashed, saved, running or paused (one that runs is saved first); 409 naming {@code what} otherwise. */
    private static VmState requireSettled(VmEntry e, String what) {
        VmState s = e.status.state();
        if (!EnumSet.of(VmState.OFF, VmState.CRASHED, VmState.SAVED, VmState.RUNNING, VmState.PAUSED)
                .contains(s))
            throw ServiceException.conflict(
                    "invalid_state", "cannot " + what + " VM '" + e.config.name() + "' while it is " + s.wire());
        return s;
    }

    /**
     * Checkpoint-VM as a job. A VM that is off or saved is checkpointed as it is; a running or paused one is saved, its
     * state copied into the checkpoint, and resumed on the new differencing disks (the guest sees a pause of one save
     * and one restore).
     */
    public Job checkpoint(String ref, String name) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmState s = requireSettled(e, "checkpoint");
            requireIdle(e);
            String cpName = name != null && !name.isBlank()
                    ? name
                    : e.config.name() + " - ("
                            + java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                                    .withZone(java.time.ZoneOffset.UTC)
                                    .format(clock.instant())
                            + ")";
            boolean live = s == VmState.RUNNING || s == VmState.PAUSED;
            RunningVm vm = e.running;
            if (live) move(e, VmState.SAVING, null);
            return jobs.submit("checkpoint", e.config.id().toString(), e.config.name(), p -> {
                if (live) saveAndPowerOff(e, vm, s, p);
                Checkpoints.Taken t;
                synchronized (e) {
                    Path state = e.status.state() == VmState.SAVED ? savedState(e) : null;
                    t = checkpointsOf(e).take(e.config, cpName, state, clock.instant());
                    configs.save(t.vm());
                    e.config = t.vm();
                    if (live) move(e, VmState.STARTING, null);
                }
                events.publish(Event.VM_UPDATED, e.config.id().toString(), e.config.name(), null, "checkpoint taken");
                if (live) launch(e, p, true);
                return "checkpoint '" + cpName + "' (" + t.checkpoint().id() + ") taken";
            });
        }
    }

    /** Restore-VMCheckpoint: the VM (off or saved) becomes what the checkpoint holds; saved if it holds a state. */
    public Job applyCheckpoint(String ref, String checkpoint) throws IOException {
        VmEntry e = entry(ref);
        Checkpoint c = checkpointsOf(e).find(checkpoint);
        synchronized (e) {
            VmState s = e.status.state();
            if (!EnumSet.of(VmState.OFF, VmState.CRASHED, VmState.SAVED).contains(s))
                throw ServiceException.conflict(
                        "invalid_state",
                        "cannot apply a checkpoint to VM '" + e.config.name() + "' while it is " + s.wire()
                                + ": turn it off or save it first");
            requireIdle(e);
            Checkpoints.Applied a = checkpointsOf(e).apply(e.config, c, savedState(e), clock.instant());
            configs.save(a.vm());
            e.config = a.vm();
            VmState to = a.saved() ? VmState.SAVED : VmState.OFF;
            if (s != to) move(e, to, exit("checkpoint '" + c.name() + "' applied", null, null));
        }
        events.publish(Event.VM_UPDATED, e.config.id().toString(), e.config.name(), null, "checkpoint applied");
        return jobs.submit(
                "apply-checkpoint",
                e.config.id().toString(),
                e.config.name(),
                p -> "checkpoint '" + c.name() + "' applied");
    }

    /**
     * Remove-VMCheckpoint as a job: its disk layer is merged so that no write is lost; a running VM is saved for the
     * merge and resumed after.
     */
    public Job deleteCheckpoint(String ref, String checkpoint) throws IOException {
        VmEntry e = entry(ref);
        Checkpoint c = checkpointsOf(e).find(checkpoint);
        synchronized (e) {
            VmState s = requireSettled(e, "delete a checkpoint of");
            requireIdle(e);
            boolean live = s == VmState.RUNNING || s == VmState.PAUSED;
            RunningVm vm = e.running;
            if (live) move(e, VmState.SAVING, null);
            return jobs.submit("delete-checkpoint", e.config.id().toString(), e.config.name(), p -> {
                if (live) saveAndPowerOff(e, vm, s, p);
                synchronized (e) {
                    p.report(50, "merging the checkpoint's disks");
                    VmConfig next = checkpointsOf(e).delete(e.config, c, (done, total) -> {}, clock.instant());
                    configs.save(next);
                    e.config = next;
                    if (live) move(e, VmState.STARTING, null);
                }
                if (live) launch(e, p, true);
                return "checkpoint '" + c.name() + "' deleted; its disks merged";
            });
        }
    }

    public CheckpointTree renameCheckpoint(String ref, String checkpoint, String name) throws IOException {
        VmEntry e = entry(ref);
        Checkpoints cps = checkpointsOf(e);
        cps.rename(cps.find(checkpoint), name);
        return checkpoints(ref);
    }

    /** Where imported and migrated VMs' disks go unless a directory is given: {@code <state>/disks/<vm-id>/}. */
    Path diskRoot() {
        return configs.dir(UUID.randomUUID()).getParent().resolveSibling("disks");
    }

    Path stateDir() {
        return configs.dir(UUID.randomUUID()).getParent().getParent();
    }

    /**
     * Export-VM as a job: {@code dir/<name>/} gets the VM's definition, saved state, checkpoints and a copy of every
     * disk image it and its checkpoints stand on ({@link VmPackage}). The VM must be off or saved, and cannot start
     * while it is copied.
     */
    public Job export(String ref, Path dir) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmState s = e.status.state();
            if (!EnumSet.of(VmState.OFF, VmState.CRASHED, VmState.SAVED).contains(s))
                throw ServiceException.conflict(
                        "invalid_state",
                        "cannot export VM '" + e.config.name() + "' while it is " + s.wire()
                                + ": save it or turn it off first");
            requireIdle(e);
            Path target = dir.toAbsolutePath().normalize().resolve(e.config.name());
            if (Files.exists(target)) throw ServiceException.conflict("export_exists", target + " exists already");
            e.busy = "being exported";
            return jobs.submit("export", e.config.id().toString(), e.config.name(), p -> {
                try {
                    p.report(10, "copying the definition, saved state, checkpoints and disks to " + target);
                    VmPackage.Manifest m = VmPackage.export(
                            e.config,
                            configs.dir(e.config.id()),
                            checkpointsOf(e).list(),
                            target,
                            Json.mapper());
                    long bytes = m.files().stream()
                            .mapToLong(VmPackage.FileEntry::size)
                            .sum();
                    return "VM '" + e.config.name() + "' exported to " + target + " ("
                            + m.disks().size() + " disk image(s), " + bytes / (1 << 20) + " MiB)";
                } finally {
                    synchronized (e) {
                        e.busy = null;
                    }
                }
            });
        }
    }

    /**
     * Import-VM as a job: the export in {@code dir} is checked whole (every file's size and checksum, every disk
     * present), its images copied into {@code copyTo} (null: the service's disk directory), and the VM registered,
     * saved if it was. A name or id in use is refused, unless {@code newId}: then the VM gets a new id, and a new name
     * where its own is taken. Whatever fails leaves nothing behind.
     */
    public Job importVm(Path dir, Path copyTo, boolean newId) {
        Path pkg = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(pkg)) throw VmPackage.refused(pkg + " is not a directory");
        return jobs.submit("import", null, null, p -> {
            p.report(10, "checking the export in " + pkg);
            VmPackage.Verified v = VmPackage.verify(pkg, Json.mapper());
            p.report(40, "copying " + v.manifest().disks().size() + " disk image(s)");
            VmView view = register(pkg, v, copyTo, newId, false, null);
            return "VM '" + view.config().name() + "' (" + view.config().id() + ") imported, "
                    + view.status().state().wire();
        });
    }

    /**
     * Registers a verified package as a VM of this host: images placed, definition, saved state and checkpoints
     * written into a staging directory that one rename makes the VM's (the commit point; {@code moveId}: recorded in it
     * as the migration that brought it). Refused (409) when its id or name is taken, unless {@code newId}.
     */
    VmView register(Path pkg, VmPackage.Verified v, Path copyTo, boolean newId, boolean moveFiles, UUID moveId)
            throws IOException {
        VmConfig given = v.config();
        UUID id = newId ? UUID.randomUUID() : given.id();
        String name;
        synchronized (this) {
            name = claimable(id, given.name(), newId);
        }
        if (!name.equals(given.name()) && v.manifest().saved())
            throw ServiceException.conflict(
                    "name_taken",
                    "a VM named '" + given.name() + "' exists already, and this VM's saved state is bound to its name:"
                            + " rename or delete the other VM first");
        // A VM deleted here keeps its disks (as Remove-VM does): an arriving VM of the same id gets a directory beside.
        Path root = copyTo != null ? copyTo.toAbsolutePath().normalize() : diskRoot();
        Path diskDir = root.resolve(id.toString());
        for (int i = 2; Files.exists(diskDir); i++) diskDir = root.resolve(id + "-" + i);
        Path staging = configs.dir(id).resolveSibling(".import-" + id);
        Map<String, String> placed = VmPackage.placeDisks(pkg, v.manifest(), diskDir, moveFiles);
        try {
            Files.createDirectories(staging);
            java.time.Instant now = clock.instant();
            VmConfig c = given.withIdentity(id, name, VmPackage.relocate(given.disks(), placed), now);
            AtomicFiles.write(
                    staging.resolve(ConfigStore.CONFIG),
                    Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
            if (v.manifest().saved()) VmPackage.copy(pkg.resolve(SAVED_STATE), staging.resolve(SAVED_STATE));
            for (VmPackage.FileEntry f : v.manifest().files()) {
                if (!f.path().startsWith(VmPackage.CHECKPOINTS + "/")) continue;
                Path to = VmPackage.inside(staging, f.path());
                if (f.path().endsWith("/" + Checkpoints.CHECKPOINT)) {
                    Checkpoint cp =
                            Json.mapper().readValue(pkg.resolve(f.path()).toFile(), Checkpoint.class);
                    VmConfig cc = cp.config();
                    cp = cp.withConfig(
                            cc.withIdentity(id, cc.name(), VmPackage.relocate(cc.disks(), placed), cc.modified()));
                    Files.createDirectories(to.getParent());
                    AtomicFiles.write(to, Json.mapper().writeValueAsBytes(cp));
                } else {
                    VmPackage.copy(pkg.resolve(f.path()), to);
                }
            }
            if (moveId != null)
                AtomicFiles.write(
                        staging.resolve(IncomingMigrations.MIGRATED_IN),
                        Json.mapper().writeValueAsBytes(Map.of("moveId", moveId.toString())));
            VmStatus status = new VmStatus(
                    v.manifest().saved() ? VmState.SAVED : VmState.OFF,
                    now,
                    new LastExit(moveId != null ? "moved here" : "imported", null, null, now));
            statuses.save(staging, status);
            VmEntry e;
            synchronized (this) {
                claimable(id, name, false);
                Files.move(staging, configs.dir(id), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.syncDirectory(configs.dir(id).getParent());
                e = new VmEntry(c, status);
                vms.put(id, e);
            }
            events.publish(Event.VM_CREATED, id.toString(), name, status.state().wire(), "VM imported");
            synchronized (e) {
                return e.view();
            }
        } catch (IOException | RuntimeException x) {
            VmPackage.deleteTree(staging);
            if (!moveFiles) VmPackage.deleteTree(diskDir);
            throw x;
        }
    }

    /** The name an arriving VM gets: its own if free; with {@code renameIfTaken} a numbered one. Caller holds this. */
    private String claimable(UUID id, String name, boolean renameIfTaken) {
        if (vms.containsKey(id) || Files.exists(configs.dir(id)))
            throw ServiceException.conflict(
                    "id_taken", "a VM with id " + id + " exists already (import with a new id)");
        if (!renameIfTaken) {
            requireFreeName(name, null);
            return name;
        }
        for (int i = 1; ; i++) {
            String n = i == 1 ? name : name + "-" + i;
            if (vms.values().stream().noneMatch(x -> x.config.name().equalsIgnoreCase(n))) return n;
        }
    }

    /** Where a quick migration takes a VM: the destination service's URL, an admin token, a PEM certificate to trust. */
    public record MoveTarget(String url, String token, String tlsTrust) {}

    /**
     * Quick migration (Move-VM) as a job: a running VM is saved here; its definition, saved state and checkpoints go
     * to the destination service, with the disk images it does not see at the same paths (probed, not assumed); the
     * destination registers it and resumes it; only then is it removed here. Two phases: before the destination may
     * commit, the VM is {@code migrating} here with a persisted {@link MigrationMessages.Marker}, so after a crash of
     * either side the source asks the destination and either removes its copy or takes it back (saved or off). A
     * refusal or a network drop before the commit leaves it here as it was before, saved (or off).
     */
    public Job move(String ref, MoveTarget to) {
        MigrationClient client = new MigrationClient(to.url(), to.token(), to.tlsTrust(), Json.mapper());
        VmEntry e = entry(ref);
        synchronized (e) {
            VmState s = requireSettled(e, "move");
            requireIdle(e);
            boolean live = s == VmState.RUNNING || s == VmState.PAUSED;
            RunningVm vm = e.running;
            if (live) move(e, VmState.SAVING, null);
            e.busy = "being moved"; // between the save and the marker nothing may start it
            return jobs.submit("move", e.config.id().toString(), e.config.name(), p -> {
                try {
                    long t0 = System.nanoTime();
                    if (live) saveAndPowerOff(e, vm, s, p);
                    long saved = System.nanoTime();
                    return new QuickMigration(this, e, client, to, live, p).run(t0, saved);
                } finally {
                    synchronized (e) {
                        e.busy = null;
                    }
                }
            });
        }
    }

    /** Moves a VM (saved or off) to {@code migrating} under its marker; the marker is written first. */
    void markMigrating(VmEntry e, MigrationMessages.Marker m) throws IOException {
        synchronized (e) {
            AtomicFiles.write(
                    configs.dir(e.config.id()).resolve(MigrationMessages.Marker.FILE),
                    Json.mapper().writeValueAsBytes(m));
            move(e, VmState.MIGRATING, null);
        }
    }

    /** The destination has the VM: it goes from here (definition, state, checkpoints and marker in one rename). */
    void removeMigrated(VmEntry e, String where) throws IOException {
        synchronized (this) {
            synchronized (e) {
                configs.delete(e.config.id());
                vms.remove(e.config.id());
            }
        }
        events.publish(Event.VM_DELETED, e.config.id().toString(), e.config.name(), null, "VM moved to " + where);
    }

    /** The destination does not have the VM: it is back as it was before the move; then the marker goes. */
    void rollBackMigration(VmEntry e, MigrationMessages.Marker m, String why) throws IOException {
        synchronized (e) {
            if (e.status.state() == VmState.MIGRATING) move(e, m.before(), exit("move not done: " + why, null, null));
            Files.deleteIfExists(configs.dir(e.config.id()).resolve(MigrationMessages.Marker.FILE));
        }
    }

    Path vmDir(VmEntry e) {
        return configs.dir(e.config.id());
    }

    List<Checkpoint> checkpointList(VmEntry e) throws IOException {
        return checkpointsOf(e).list();
    }

    /**
     * Settles every move a crash left undecided: each VM with a marker asks its destination (which answers for good
     * once asked: an abort it has not committed is final); one whose destination cannot be reached stays migrating
     * and is asked again every few seconds.
     */
    private void resolveMigrations() {
        List<VmEntry> pending;
        synchronized (this) {
            pending = vms.values().stream()
                    .filter(x -> Files.exists(configs.dir(x.config.id()).resolve(MigrationMessages.Marker.FILE)))
                    .toList();
        }
        if (!pending.isEmpty()) settleLater(pending);
    }

    /** Asks the VMs' destinations until each move is settled (every 3 s while one cannot be reached). */
    void settleLater(List<VmEntry> pending) {
        Thread.ofPlatform().daemon().name("migration-resolver").start(() -> {
            List<VmEntry> left = new ArrayList<>(pending);
            while (!left.isEmpty()) {
                left.removeIf(x -> QuickMigration.resolve(this, x));
                if (left.isEmpty()) break;
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException i) {
                    return;
                }
            }
        });
    }

    MigrationMessages.Marker marker(VmEntry e) throws IOException {
        Path f = configs.dir(e.config.id()).resolve(MigrationMessages.Marker.FILE);
        return Json.mapper().readValue(f.toFile(), MigrationMessages.Marker.class);
    }

    /** The entry of a VM by id (null: none), for the migration classes. */
    synchronized VmEntry entryOf(UUID id) {
        return vms.get(id);
    }

    /** Starts (resumes) a VM and waits for the job, for a migration's destination: the job's outcome. */
    Job startAndWait(UUID id, Duration timeout) throws InterruptedException {
        Job j = start(id.toString());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Job now = jobs.get(j.id()).orElse(j);
            if (now.done()) return now;
            Thread.sleep(20);
        }
        return jobs.get(j.id()).orElse(j);
    }

    String message(Throwable t, boolean unused) {
        return message(t);
    }

    /** Refuses (409) a VM arriving by migration whose id or name is taken here. */
    synchronized void requireArrivable(UUID id, String name) {
        claimable(id, name, false);
    }

    /** Refuses (409) while an export or a migration holds the VM. Caller holds e's lock. */
    private static void requireIdle(VmEntry e) {
        if (e.status.state() == VmState.MIGRATING)
            throw ServiceException.conflict(
                    "invalid_state",
                    "VM '" + e.config.name() + "' is migrating: it stays so until its destination says whether it "
                            + "took it");
        if (e.busy != null)
            throw ServiceException.conflict("vm_busy", "VM '" + e.config.name() + "' is " + e.busy + "; try later");
    }

    /** Where a saved VM's state lives: beside its definition, so it goes with the VM (delete, export). */
    private Path savedState(VmEntry e) {
        return configs.dir(e.config.id()).resolve(SAVED_STATE);
    }

    static final String SAVED_STATE = "saved-state.vmrs";

    /**
     * Save-VM as a job: the VM's whole state to its saved-state file, then powered off (its memory freed); a later
     * start resumes it from there. A save that fails leaves the VM running (or paused) as it was.
     */
    public Job save(String ref) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmState before = e.status.state();
            VmOperation.SAVE.check(e.config.name(), before);
            RunningVm vm = e.running;
            move(e, VmState.SAVING, null);
            return jobs.submit("save", e.config.id().toString(), e.config.name(), p -> {
                long bytes = saveAndPowerOff(e, vm, before, p);
                return "VM '" + e.config.name() + "' saved (" + bytes / (1 << 20) + " MiB)";
            });
        }
    }

    /**
     * The source half of a planned move's quick migration: the running (or paused) VM's state written to {@code file}
     * (on storage the target sees), then the VM powered off here, off (its state went with the move, not saved here).
     * Waits for both. A save the VM refuses (a device whose state is not saved yet) or that fails throws, and the VM
     * runs on as it was.
     */
    public long saveForMove(UUID id, Path file) throws Exception {
        VmEntry e = entry(id.toString());
        VmState before;
        RunningVm vm;
        synchronized (e) {
            before = e.status.state();
            VmOperation.SAVE.check(e.config.name(), before);
            requireIdle(e);
            vm = e.running;
            move(e, VmState.SAVING, null);
        }
        return saveAndPowerOff(e, vm, before, (pct, m) -> {}, file, false);
    }

    /**
     * The target half of a planned move's quick migration: the VM (off here, just adopted) restored from {@code file},
     * running on from where its previous host saved it. Waits until it runs; a state that cannot be restored throws
     * and leaves the VM off (the file is left as it was: the caller owns it).
     */
    public void startFromMove(UUID id, Path file) throws Exception {
        VmEntry e = entry(id.toString());
        synchronized (this) {
            synchronized (e) {
                VmOperation.START.check(e.config.name(), e.status.state());
                if (e.status.state() == VmState.SAVED)
                    throw ServiceException.conflict(
                            "invalid_state", "VM '" + e.config.name() + "' holds a saved state of its own here");
                requireIdle(e);
                engine.unavailableReason().ifPresent(why -> {
                    throw ServiceException.conflict(
                            "host_cannot_run_vms", "cannot start VM '" + e.config.name() + "': " + why);
                });
                admission.refusal(e.config, activeConfigs(e), host.get()).ifPresent(why -> {
                    throw ServiceException.conflict("insufficient_resources", why);
                });
                move(e, VmState.STARTING, null);
            }
        }
        launch(e, (pct, m) -> {}, file, false);
    }

    /** The save half of Save-VM (state SAVING already): state written, VM off, state SAVED; or back to {@code before}. */
    private long saveAndPowerOff(VmEntry e, RunningVm vm, VmState before, JobManager.Progress p) throws Exception {
        return saveAndPowerOff(e, vm, before, p, savedState(e), true);
    }

    /**
     * Writes the VM's state to {@code file} and powers it off: saved here ({@code keep}), or off with its state gone
     * with a planned move; a refused or failed save puts it back to {@code before}, running on.
     */
    private long saveAndPowerOff(
            VmEntry e, RunningVm vm, VmState before, JobManager.Progress p, Path file, boolean keep) throws Exception {
        p.report(10, "saving processors, devices and memory");
        long bytes;
        try {
            bytes = vm.save(file);
        } catch (Exception | Error x) {
            synchronized (e) {
                if (e.running == vm) move(e, before, null);
            }
            throw x;
        }
        synchronized (e) {
            e.saved = keep;
        }
        p.report(40, "state written (" + bytes / (1 << 20) + " MiB); powering off");
        vm.powerOff(keep ? "saved by the host" : "saved for a quick move to another host");
        if (!awaitOff(e, vm, STOP_TIMEOUT)) throw new TimeoutException("the VM did not stop in time");
        return bytes;
    }

    private String launch(VmEntry e, JobManager.Progress p) throws Exception {
        return launch(e, p, false);
    }

    private String launch(VmEntry e, JobManager.Progress p, boolean resume) throws Exception {
        return launch(e, p, resume ? savedState(e) : null, true);
    }

    /**
     * Builds the VM, or restores it from {@code state} (null: boots afresh). {@code own}: the state is the VM's own
     * saved state, kept on a failure (the VM stays saved) and spent on success; otherwise (a planned move's handoff)
     * its owner keeps or removes it, and a VM that cannot be restored is left off.
     */
    private String launch(VmEntry e, JobManager.Progress p, Path state, boolean own) throws Exception {
        VmConfig c;
        synchronized (e) {
            c = e.config;
        }
        boolean resume = state != null;
        p.report(
                10,
                (resume ? "restoring the VM from its saved state (" : "building the VM (") + c.cpus()
                        + " processor(s), " + c.memoryBytes() / (1 << 20) + " MiB)");
        RunningVm vm;
        try {
            vm = resume ? engine.restore(c, e.console, state) : engine.launch(c, e.console);
        } catch (Exception | Error x) {
            synchronized (e) {
                // A state that cannot be restored is kept: the VM stays saved (stop discards the state).
                if (resume && own) move(e, VmState.SAVED, exit("failed to restore: " + message(x), null, null));
                else if (resume) move(e, VmState.OFF, exit("failed to restore: " + message(x), null, null));
                else move(e, VmState.OFF, exit("failed to start: " + message(x), null, null));
            }
            throw x;
        }
        if (resume && own) Files.deleteIfExists(state); // the VM runs on from it: the state is spent, as in Hyper-V
        VmResourceControls controls =
                VmResourceControls.start(cgroups, c.id(), vm.processId(), c.resources(), c.cpus());
        synchronized (e) {
            e.running = vm;
            e.controls = controls;
            move(e, VmState.RUNNING, null);
        }
        watch(e, vm);
        return "VM '" + c.name() + "' is running";
    }

    private void watch(VmEntry e, RunningVm vm) {
        vm.exit()
                .whenComplete((x, failure) -> exited(
                        e, vm, x != null ? x : new VmExit("the VM ended: " + message(failure), null, true, null)));
    }

    private void exited(VmEntry e, RunningVm vm, VmExit x) {
        synchronized (e) {
            if (e.running != vm) return;
            e.running = null;
            if (e.controls != null) e.controls.close();
            e.controls = null;
            if (e.saved) {
                e.saved = false;
                move(e, VmState.SAVED, exit("saved", null, null));
            } else {
                move(e, x.crashed() ? VmState.CRASHED : VmState.OFF, exit(x.reason(), x.exitStatus(), x.crashReport()));
            }
            e.notifyAll();
        }
        vm.close();
    }

    /** The engine's handle on a running (or paused) VM; 409 otherwise, saying that only a running VM has {@code what}. */
    private RunningVm running(String ref, String what) {
        VmEntry e = entry(ref);
        synchronized (e) {
            if (e.running != null) return e.running;
            throw ServiceException.conflict(
                    "invalid_state",
                    "VM '" + e.config.name() + "' is " + e.status.state().name().toLowerCase(Locale.ROOT)
                            + ": only a running VM has " + what);
        }
    }

    /**
     * A running VM's flight recorders (its VPs' last exits and host actions). A VM that is not running has none; a
     * crashed VM's last entries are in its last exit's crash report.
     */
    public List<RecorderEntry> flightRecorder(String ref) {
        RunningVm vm = running(ref, "a flight recorder to read (a crash report carries the last entries)");
        try {
            return vm.flightRecorder();
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
    }

    /** A running (or paused) VM's metrics; a VM that is not running has none (409), nor one whose engine keeps none. */
    public VmMetrics metrics(String ref) {
        RunningVm vm = running(ref, "metrics");
        try {
            return withProcessMemory(vm.metrics(), vm);
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
    }

    /**
     * The resident memory of the VM's process, read here (a confined worker has no /proc): its worker's, or this
     * service's for a VM that runs inside it.
     */
    private static VmMetrics withProcessMemory(VmMetrics m, RunningVm vm) {
        VmMetrics.Memory mem = m.memory();
        long rss = vm.processId().isPresent()
                ? ProcessMemory.residentBytes(vm.processId().getAsLong())
                : ProcessMemory.residentBytes();
        return new VmMetrics(
                m.at(),
                m.vps(),
                m.hypercalls(),
                m.vmbusSignals(),
                m.disks(),
                m.networkAdapters(),
                new VmMetrics.Memory(mem.assignedBytes(), mem.residentBytes(), mem.residentSource(), rss));
    }

    /**
     * A running (or paused) VM's screen as a PNG; 409 where it is not running, its engine has no graphical console,
     * or its guest has not set up its display yet.
     */
    public byte[] screenshot(String ref) {
        RunningVm vm = running(ref, "screenshot");
        byte[] png;
        try {
            png = vm.screenshot();
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
        if (png.length == 0)
            throw ServiceException.conflict("no_display", "the guest has not set up its synthetic video display yet");
        return png;
    }

    /** Each running VM's copy of its screen, made when first looked at; it goes with the running instance. */
    private final java.util.Map<RunningVm, ScreenCopy> screens =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * A running (or paused) VM's screen, as the service keeps a copy of it for its viewers; 409 where it is not running
     * or its engine has no graphical console.
     */
    public ScreenCopy screen(String ref) {
        RunningVm vm = running(ref, "a screen");
        ScreenCopy copy = screens.computeIfAbsent(vm, ScreenCopy::new);
        try {
            copy.read(f -> null);
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
        return copy;
    }

    /** A thumbnail of the VM's screen, at most {@code width} pixels wide, as a PNG; 409 as {@link #screenshot}. */
    public byte[] thumbnail(String ref, int width) {
        byte[] png =
                screen(ref).read(f -> f == null ? null : f.scaledToWidth(width).png());
        if (png == null)
            throw ServiceException.conflict("no_display", "the guest has not set up its synthetic video display yet");
        return png;
    }

    /** Key events for the VM's synthetic keyboard (each a valid set-1 key by construction); 409 where it is not running. */
    public void keys(String ref, List<org.viridian.devices.input.KeyEvent> keys) {
        RunningVm vm = running(ref, "a keyboard");
        try {
            vm.keys(keys);
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
    }

    /** The VM's synthetic mouse's new state; 409 where it is not running. */
    public void pointer(String ref, org.viridian.devices.input.PointerEvent p) {
        RunningVm vm = running(ref, "a mouse");
        try {
            vm.pointer(p);
        } catch (UnsupportedOperationException x) {
            throw ServiceException.conflict("not_supported", x.getMessage());
        }
    }

    /** A VM and its metrics, or null metrics where it is not running or its engine keeps none. */
    public record Measured(VmView view, VmMetrics metrics) {}

    /** Every VM with its metrics where it has them (for /metrics), in the order {@link #list} gives. */
    public List<Measured> measureAll() {
        List<VmEntry> all;
        synchronized (this) {
            all = List.copyOf(vms.values());
        }
        List<Measured> out = new ArrayList<>();
        for (VmEntry e : all) {
            VmView view;
            RunningVm vm;
            synchronized (e) {
                view = e.view();
                vm = e.running;
            }
            VmMetrics m = null;
            if (vm != null) {
                try {
                    m = withProcessMemory(vm.metrics(), vm);
                } catch (UnsupportedOperationException x) {
                    // an engine without metrics: the VM is counted by state only
                } catch (RuntimeException x) {
                    // One VM's failure (say, it ended while it was read) must not cost the others their figures.
                    LOG.log(
                            System.Logger.Level.DEBUG,
                            "metrics of VM '" + view.config().name() + "': " + x);
                }
            }
            out.add(new Measured(view, m));
        }
        return out;
    }

    /** Hard power-off, or a graceful shutdown that falls back to it where the guest cannot be asked. */
    public Job stop(String ref, boolean graceful) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmState s = e.status.state();
            if (s == VmState.CRASHED && !graceful) {
                move(e, VmState.OFF, null);
                return jobs.submit("stop", e.config.id().toString(), e.config.name(), p -> "crash cleared; VM is off");
            }
            if (s == VmState.SAVED && !graceful) {
                requireIdle(e);
                // Remove-VMSavedState: the VM boots afresh next time.
                try {
                    Files.deleteIfExists(savedState(e));
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
                move(e, VmState.OFF, exit("saved state discarded", null, null));
                return jobs.submit(
                        "stop", e.config.id().toString(), e.config.name(), p -> "saved state discarded; VM is off");
            }
            (graceful ? VmOperation.SHUTDOWN : VmOperation.STOP).check(e.config.name(), s);
            if (e.running == null) {
                throw ServiceException.conflict(
                        "invalid_state", "VM '" + e.config.name() + "' is still starting; " + "stop it once it runs");
            }
            RunningVm vm = e.running;
            move(e, VmState.STOPPING, null);
            return jobs.submit(graceful ? "shutdown" : "stop", e.config.id().toString(), e.config.name(), p -> {
                String how = "powered off";
                if (graceful) {
                    if (vm.requestShutdown()) {
                        p.report(10, "asked the guest to shut down");
                        if (awaitOff(e, vm, STOP_TIMEOUT)) return "the guest shut down";
                        how = "the guest did not shut down in " + STOP_TIMEOUT.toSeconds() + " s; powered off hard";
                    } else {
                        how = "the guest offers no shutdown integration service (not enabled, or its driver is "
                                + "not loaded); powered off hard";
                    }
                    p.report(50, how);
                }
                vm.powerOff(graceful ? "shut down by the host" : "turned off by the host");
                if (!awaitOff(e, vm, STOP_TIMEOUT)) throw new TimeoutException("the VM did not stop in time");
                return how;
            });
        }
    }

    /** Power cycle: off, then on again with the same definition. */
    public Job reset(String ref) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmOperation.RESET.check(e.config.name(), e.status.state());
            RunningVm vm = e.running;
            move(e, VmState.STOPPING, null);
            return jobs.submit("reset", e.config.id().toString(), e.config.name(), p -> {
                vm.powerOff("reset by the host");
                if (!awaitOff(e, vm, STOP_TIMEOUT)) throw new TimeoutException("the VM did not stop in time");
                p.report(40, "powered off; starting again");
                synchronized (e) {
                    move(e, VmState.STARTING, null);
                }
                return launch(e, p);
            });
        }
    }

    private boolean awaitOff(VmEntry e, RunningVm vm, Duration timeout) throws InterruptedException {
        try {
            vm.exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException t) {
            return false;
        } catch (ExecutionException ignored) {
            // ended with a failure: exited() has recorded it
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (e) {
            while (e.running == vm && System.nanoTime() < deadline) e.wait(100);
            return e.running != vm;
        }
    }

    public VmView pause(String ref) throws InterruptedException {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmOperation.PAUSE.check(e.config.name(), e.status.state());
            e.running.pause();
            move(e, VmState.PAUSED, null);
            return e.view();
        }
    }

    public VmView resume(String ref) {
        VmEntry e = entry(ref);
        synchronized (e) {
            VmOperation.RESUME.check(e.config.name(), e.status.state());
            e.running.resume();
            move(e, VmState.RUNNING, null);
            return e.view();
        }
    }

    public ConsoleBuffer console(String ref) {
        return entry(ref).console;
    }

    /** Keyboard input for the serial console; dropped when the VM is not running. */
    public void sendInput(String ref, byte[] bytes) {
        VmEntry e = entry(ref);
        RunningVm vm;
        synchronized (e) {
            vm = e.running;
        }
        if (vm != null) vm.sendInput(bytes);
    }

    /**
     * Service shutdown: VMs in worker processes keep running (the next service adopts them), and the service lets go
     * of them; VMs inside this process are powered off, and waited for.
     */
    @Override
    public void close() {
        List<VmEntry> all;
        synchronized (this) {
            all = List.copyOf(vms.values());
        }
        for (VmEntry e : all) {
            RunningVm vm;
            synchronized (e) {
                vm = e.running;
            }
            if (vm == null) continue;
            if (engine.vmsOutliveService()) {
                vm.close();
                continue;
            }
            vm.powerOff("the service stopped");
            try {
                vm.exit().get(10, TimeUnit.SECONDS);
                awaitOff(e, vm, Duration.ofSeconds(5));
            } catch (Exception ignored) {
                // best effort: the process is going away
            }
        }
        engine.close();
    }

    private VmEntry entry(String ref) {
        if (ref == null || ref.isEmpty()) throw ServiceException.notFound("no VM given");
        synchronized (this) {
            if (VmConfigs.looksLikeUuid(ref)) {
                VmEntry e = vms.get(UUID.fromString(ref));
                if (e != null) return e;
            }
            for (VmEntry e : vms.values()) if (e.config.name().equalsIgnoreCase(ref)) return e;
        }
        throw ServiceException.notFound(
                "no VM named or with id '" + (ref.length() > 80 ? ref.substring(0, 80) : ref) + "'");
    }

    private void requireFreeName(String name, UUID self) {
        for (VmEntry e : vms.values()) {
            if (!e.config.id().equals(self)
                    && e.config.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                throw ServiceException.conflict("name_taken", "a VM named '" + e.config.name() + "' already exists");
            }
        }
    }

    /** The validated transition, persisted and published. Caller holds e's lock. */
    private void move(VmEntry e, VmState to, LastExit exit) {
        e.status = e.status.moveTo(to, clock.instant(), exit);
        persist(e);
        events.publish(
                Event.VM_STATE,
                e.config.id().toString(),
                e.config.name(),
                to.wire(),
                exit != null ? exit.reason() : "now " + to.wire());
    }

    private void persist(VmEntry e) {
        try {
            statuses.save(configs.dir(e.config.id()), e.status);
        } catch (IOException x) {
            throw new UncheckedIOException("cannot record the state of VM '" + e.config.name() + "'", x);
        }
    }

    private LastExit exit(String reason, Integer status, String report) {
        return new LastExit(reason, status, report, clock.instant());
    }

    private static String message(Throwable t) {
        return t == null ? "unknown" : t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
