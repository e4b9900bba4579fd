package org.viridian.management;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import org.viridian.management.api.ApiServer;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.cluster.ClusterService;
import org.viridian.management.config.AtomicFiles;
import org.viridian.management.config.ConfigStore;
import org.viridian.management.config.Json;
import org.viridian.management.config.SwitchStore;
import org.viridian.management.events.Event;
import org.viridian.management.events.EventBus;
import org.viridian.management.jobs.JobManager;
import org.viridian.management.resources.Admission;
import org.viridian.management.resources.Cgroups;
import org.viridian.management.resources.HostResources;
import org.viridian.management.service.SwitchService;
import org.viridian.management.service.VmEngine;
import org.viridian.management.service.VmService;
import org.viridian.management.state.StatusStore;
import org.viridian.management.vnc.VncService;
import org.viridian.management.worker.WorkerEngine;

/**
 * The host service (`viridian serve`): owns one state directory (locked, so two services never share it), loads the
 * VM definitions in it, and serves the REST API and the web manager. {@code service.json} in the state directory
 * tells clients where it listens.
 */
public final class ManagementService implements AutoCloseable {
    public static final String SERVICE_FILE = "service.json";
    private final ServiceOptions options;
    private final ObjectMapper json = Json.mapper();
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final JobManager jobs;
    private final VmService vms;
    private final SwitchService switches;
    private final ApiServer server;
    private final EventBus events;
    /** Each VM's VNC console (settings, and its listener while the VM runs). */
    private final org.viridian.management.vnc.VncService vnc;

    private volatile ClusterService cluster;

    private ManagementService(ServiceOptions options, VmEngine engine, SwitchService.HostAccess network)
            throws IOException {
        this.options = options;
        Path dir = options.stateDir();
        Files.createDirectories(dir);
        lockChannel =
                FileChannel.open(dir.resolve("service.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IllegalStateException(
                    "another viridian service owns the state directory " + dir + describeOwner(dir));
        }
        Clock clock = Clock.systemUTC();
        events = new EventBus(clock);
        jobs = new JobManager(
                clock,
                j -> events.publish(
                        Event.JOB,
                        j.vmId(),
                        j.vmName(),
                        j.status().wire(),
                        j.kind() + " " + j.status().wire() + " (" + j.progress() + "%): " + j.message()));
        switches = new SwitchService(
                new SwitchStore(dir, json),
                network == null ? SwitchService.HostAccess.system() : network,
                this::vmList,
                clock);
        vms = new VmService(
                new ConfigStore(dir, json),
                new StatusStore(json),
                engine == null ? WorkerEngine.kvm(dir, switches).confined(options.confineWorkers()) : engine,
                events,
                jobs,
                clock);
        vms.switches(switches::defined);
        vms.resources(new Admission(options.memoryOvercommit()), HostResources::read, Cgroups.detect());
        vms.load();
        switches.load();
        vnc = new VncService(vms, events, dir, json, !ServiceOptions.isLoopback(options.host()));
        server = new ApiServer(
                vms,
                switches,
                jobs,
                events,
                new TokenStore(dir, json),
                options.requireAuth(),
                options.tls(),
                options.host(),
                options.port(),
                dir,
                json,
                vnc);
    }

    /** Starts the service with VMs on KVM, each in its own worker process. */
    public static ManagementService start(ServiceOptions options) throws IOException {
        return start(options, null);
    }

    /** Starts the service with {@code engine} (null: KVM in worker processes), owning the host's virtual switches. */
    public static ManagementService start(ServiceOptions options, VmEngine engine) throws IOException {
        return start(options, engine, null);
    }

    /**
     * Starts the service with {@code engine} (null: KVM in worker processes; an engine given runs its VMs in this
     * process, unless it is a {@link WorkerEngine}) and {@code network}, its access to the host's virtual switches
     * (null: the host's, all of them owned by this service).
     */
    public static ManagementService start(ServiceOptions options, VmEngine engine, SwitchService.HostAccess network)
            throws IOException {
        ManagementService s = new ManagementService(options, engine, network);
        try {
            s.server.start();
            if (options.cluster() != null) {
                s.cluster = ClusterService.start(options.cluster(), s.vms, s.events, s.url());
                s.server.cluster(s.cluster);
            }
            AtomicFiles.write(
                    options.stateDir().resolve(SERVICE_FILE),
                    s.json.writeValueAsBytes(Map.of(
                            "url", s.url(), "pid", ProcessHandle.current().pid())));
        } catch (RuntimeException | IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static String describeOwner(Path dir) {
        try {
            return " (" + Files.readString(dir.resolve(SERVICE_FILE), StandardCharsets.UTF_8) + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /** Where clients reach it, e.g. http://127.0.0.1:7480/. */
    public String url() {
        String h = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return (server.tls() ? "https" : "http") + "://" + h + ":" + server.port() + "/";
    }

    public VmService vms() {
        return vms;
    }

    private java.util.List<org.viridian.management.service.VmView> vmList() {
        return vms.list();
    }

    public SwitchService switches() {
        return switches;
    }

    /** The long operations (start, stop …): what became of one, e.g. why a VM did not start. */
    public JobManager jobs() {
        return jobs;
    }

    public EventBus events() {
        return events;
    }

    public ApiServer server() {
        return server;
    }

    /** The failover cluster this host is a member of, or null. */
    public ClusterService cluster() {
        return cluster;
    }

    /** Lets go of the running VMs (VMs in workers run on; VMs in this process are powered off), stops serving. */
    @Override
    public void close() {
        try {
            // A member first stops its clustered VMs while it still owns them, then leaves (the others take them).
            if (cluster != null) cluster.close();
            vnc.close();
            vms.close();
        } finally {
            try {
                server.close();
            } finally {
                jobs.close();
                try {
                    Files.deleteIfExists(options.stateDir().resolve(SERVICE_FILE));
                    lock.release();
                    lockChannel.close();
                } catch (IOException ignored) {
                    // the lock goes with the process anyway
                }
            }
        }
    }
}
