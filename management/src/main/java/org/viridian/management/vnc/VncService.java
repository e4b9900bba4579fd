package org.viridian.management.vnc;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.Framebuffer;
import org.viridian.management.config.AtomicFiles;
import org.viridian.management.events.Event;
import org.viridian.management.events.EventBus;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;

/**
 * Every VM's VNC console: its settings ({@code vnc/<vm id>.json} in the state directory, readable by the service's
 * user only: they hold the password) and, while the VM runs with VNC on, its {@link VncServer}. It runs in the
 * service, not the worker: the service already holds the copy of each screen the web console reads, owns the
 * listening rules (loopback unless TLS), and a confined worker has no network; the worker only sends changed tiles.
 */
public final class VncService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VncService.class.getName());

    private final VmService vms;
    private final Path dir;
    private final ObjectMapper json;
    private final boolean remoteService;
    private final Map<String, VncServer> servers = new ConcurrentHashMap<>();
    private final AutoCloseable subscription;

    public VncService(VmService vms, EventBus events, Path stateDir, ObjectMapper json, boolean remoteService) {
        this.vms = vms;
        this.dir = stateDir.resolve("vnc");
        this.json = json;
        this.remoteService = remoteService;
        subscription = events.subscribe(this::onEvent);
        for (VmView v : vms.list())
            if (listens(v.status().state().wire())) apply(v.config().id().toString());
    }

    private static boolean listens(String state) {
        return "running".equals(state) || "paused".equals(state);
    }

    private void onEvent(Event e) {
        if (e.vmId() == null) return;
        if (Event.VM_DELETED.equals(e.type())) {
            stop(e.vmId());
            try {
                Files.deleteIfExists(file(e.vmId()));
            } catch (IOException x) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove " + file(e.vmId()) + ": " + x.getMessage());
            }
        } else if (Event.VM_STATE.equals(e.type())) {
            if (listens(e.state())) {
                if (!servers.containsKey(e.vmId())) Thread.ofVirtual().start(() -> apply(e.vmId()));
            } else {
                stop(e.vmId());
            }
        }
    }

    private Path file(String vmId) {
        return dir.resolve(vmId + ".json");
    }

    public VncSettings settings(String ref) {
        String id = vms.get(ref).config().id().toString();
        Path f = file(id);
        if (!Files.exists(f)) return VncSettings.OFF;
        try {
            return json.readValue(f.toFile(), VncSettings.class);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The settings as the API shows them, with the port a running server listens on. */
    public Map<String, Object> view(String ref) {
        String id = vms.get(ref).config().id().toString();
        VncServer s = servers.get(id);
        return settings(id).view(s == null ? null : s.port());
    }

    /**
     * New settings (checked), saved, and applied at once to a running VM; {@code keepPassword}: the VM's password stays
     * what it was.
     */
    public Map<String, Object> set(String ref, VncSettings s, boolean keepPassword) throws IOException {
        String id = vms.get(ref).config().id().toString();
        if (keepPassword)
            s = new VncSettings(s.enabled(), s.listen(), s.port(), settings(id).password());
        s.validated(remoteService);
        Files.createDirectories(dir);
        AtomicFiles.write(file(id), json.writeValueAsBytes(s));
        try {
            Files.setPosixFilePermissions(
                    file(id), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the state directory is the service's own in any case
        }
        stop(id);
        if (listens(vms.get(id).status().state().wire())) apply(id);
        return view(id);
    }

    /**
     * Starts the VM's server where its settings say so (and none runs yet). The service is asked nothing while this
     * holds its lock: events arrive with a VM's lock held, and stopping never waits for this one.
     */
    private void apply(String id) {
        VncSettings s;
        String name;
        try {
            s = settings(id);
            name = vms.get(id).config().name();
        } catch (RuntimeException gone) {
            return;
        }
        if (!s.enabled()) return;
        synchronized (this) {
            if (servers.containsKey(id)) return;
            try {
                VncServer server = new VncServer(
                        InetAddress.getByName(s.listen()), s.port(), s.password(), new VmDisplay(vms, id, name));
                servers.put(id, server);
                LOG.log(System.Logger.Level.INFO, "VM '" + name + "': VNC on " + s.listen() + ":" + server.port());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "VM '" + name + "': cannot listen for VNC: " + e.getMessage());
                return;
            }
        }
        // The VM may have stopped meanwhile (its event found no server to stop yet).
        try {
            if (!listens(vms.get(id).status().state().wire())) stop(id);
        } catch (RuntimeException gone) {
            stop(id);
        }
    }

    private void stop(String id) {
        VncServer s = servers.remove(id);
        if (s != null) s.close();
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception ignored) {
            // unsubscribing cannot fail
        }
        for (String id : List.copyOf(servers.keySet())) stop(id);
    }

    /** A VM's screen, keyboard and mouse through the service: nothing while it does not run. */
    private record VmDisplay(VmService vms, String id, String name) implements Display {
        @Override
        public <T> T read(Function<Framebuffer, T> f) {
            try {
                return vms.screen(id).read(f);
            } catch (ServiceException notRunning) {
                return f.apply(null);
            }
        }

        @Override
        public void keys(List<KeyEvent> keys) {
            try {
                vms.keys(id, keys);
            } catch (ServiceException notRunning) {
                // dropped, as a keyboard unplugged
            }
        }

        @Override
        public void pointer(PointerEvent p) {
            try {
                vms.pointer(id, p);
            } catch (ServiceException notRunning) {
                // dropped
            }
        }
    }
}
