package org.viridian.management.worker;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.viridian.management.config.Disk;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RecorderEntry;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.SwitchPorts;
import org.viridian.management.service.VmExit;
import org.viridian.management.service.VmMetrics;
import org.viridian.management.worker.WorkerMessage.Failed;
import org.viridian.management.worker.WorkerMessage.Reply;
import org.viridian.management.worker.WorkerMessage.Request;
import org.viridian.management.worker.WorkerMessage.RunState;

/**
 * The service's handle on a VM in a worker process: every operation goes over the worker's socket as a request and
 * waits for its reply; console output, state and integration changes arrive as events. When the connection ends
 * without the worker reporting the VM's exit, the VM is crashed with the worker's own end as the reason ({@code
 * death}). {@link #close} lets go of the worker (the VM runs on) and, once the VM has exited, removes its runtime
 * directory.
 */
final class WorkerClient implements RunningVm {
    private static final System.Logger LOG = System.getLogger(WorkerClient.class.getName());
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DEATH_WAIT = Duration.ofSeconds(10);
    static final Duration HELLO_TIMEOUT = Duration.ofSeconds(10);
    private final RuntimeDir dir;
    private final String vmName;
    private final WorkerLink<WorkerMessage.ToService> link;
    private final ProcessHandle process;
    private final Supplier<String> death;
    private final SwitchPorts switches;
    private final OutputStream console;
    private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** Requests sent without waiting for their answer: their replies are dropped quietly. */
    private final java.util.Set<Long> posted = ConcurrentHashMap.newKeySet();

    private final CompletableFuture<VmExit> exit = new CompletableFuture<>();
    private final RunState initialState;
    private volatile GuestIntegration integration =
            new GuestIntegration(GuestIntegration.Heartbeat.NOT_OFFERED, null, null);
    private volatile VmExit reported;
    private volatile boolean detached;

    private WorkerClient(
            RuntimeDir dir,
            String vmName,
            WorkerLink<WorkerMessage.ToService> link,
            ProcessHandle process,
            Supplier<String> death,
            SwitchPorts switches,
            OutputStream console,
            RunState initialState) {
        this.dir = dir;
        this.vmName = vmName;
        this.link = link;
        this.process = process;
        this.death = death;
        this.switches = switches;
        this.console = console;
        this.initialState = initialState;
    }

    /**
     * Connects to the worker of {@code dir} and says hello; its scrollback goes to {@code console}, and its output
     * follows. {@code death}: why the worker ended, once it has. {@code switches}: made present before an adapter is
     * plugged in (null: the worker's engine needs none).
     */
    static WorkerClient connect(
            RuntimeDir dir,
            String vmName,
            ProcessHandle process,
            Supplier<String> death,
            SwitchPorts switches,
            OutputStream console)
            throws IOException, ProtocolException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        WorkerLink<WorkerMessage.ToService> link = new WorkerLink<>(ch, WorkerMessage.ToService.class);
        // A worker that accepts but never answers (stopped, hung) must not hold up the service: hang up on it.
        java.util.concurrent.atomic.AtomicBoolean decided = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(HELLO_TIMEOUT.toMillis());
                if (decided.compareAndSet(false, true)) link.close();
            } catch (InterruptedException answered) {
                // hello came in time
            }
        });
        try {
            ch.connect(UnixDomainSocketAddress.of(dir.socket()));
            link.send(new WorkerMessage.ServiceHello(WorkerMessage.VERSION));
            WorkerMessage.ToService first = link.receive();
            if (!decided.compareAndSet(false, true))
                throw new IOException("the worker did not answer in " + HELLO_TIMEOUT.toSeconds() + " s");
            watchdog.interrupt();
            if (first instanceof Failed f) throw new ProtocolException("the worker refused: " + f.message(), false);
            if (!(first instanceof WorkerMessage.WorkerHello h))
                throw new ProtocolException(
                        "expected worker-hello, got " + first.getClass().getSimpleName(), false);
            if (h.version() != WorkerMessage.VERSION || h.pid() != process.pid())
                throw new ProtocolException(
                        "worker-hello from pid " + h.pid() + " speaking version " + h.version() + ", expected pid "
                                + process.pid() + " speaking " + WorkerMessage.VERSION,
                        false);
            console.write(h.scrollback());
            WorkerClient c = new WorkerClient(dir, vmName, link, process, death, switches, console, h.state());
            Thread.ofPlatform().daemon().name("worker-client-" + process.pid()).start(c::read);
            return c;
        } catch (IOException | ProtocolException | RuntimeException e) {
            watchdog.interrupt();
            link.close();
            throw e;
        }
    }

    /** Whether the worker said the VM was paused when this connected. */
    boolean startedPaused() {
        return initialState == RunState.PAUSED;
    }

    long pid() {
        return process.pid();
    }

    private void read() {
        try {
            while (true) {
                WorkerMessage.ToService m;
                try {
                    m = link.receive();
                } catch (ProtocolException e) {
                    LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': refused a frame: " + e.getMessage());
                    if (!e.recoverable()) break;
                    continue;
                }
                switch (m) {
                    case Failed f
                    when f.id() == 0 ->
                        LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': the worker refused: " + f.message());
                    case Reply r -> {
                        CompletableFuture<Reply> waiting = pending.remove(r.id());
                        if (waiting != null) waiting.complete(r);
                        else if (!posted.remove(r.id()))
                            LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': refused a reply to no request");
                    }
                    case WorkerMessage.Console c -> console.write(c.bytes());
                    case WorkerMessage.IntegrationChanged i -> integration = i.integration();
                    case WorkerMessage.StateChanged s -> {}
                    case WorkerMessage.Exited x -> {
                        // Complete now: the worker exits next, but closing the VM first may take it a while.
                        reported = x.exit();
                        exit.complete(x.exit());
                    }
                    case WorkerMessage.WorkerHello h ->
                        LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': refused a second worker-hello");
                }
            }
        } catch (EOFException e) {
            // the worker closed: it exited (after reporting the VM's exit, or not)
        } catch (IOException e) {
            if (!detached && !exit.isDone())
                LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': connection lost: " + e);
        }
        link.close();
        if (detached) return;
        ended();
    }

    /** The connection is gone: the VM's exit is what the worker reported or recorded, else the worker's death. */
    private void ended() {
        pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("the VM's worker is gone")));
        VmExit x = reported;
        if (x == null) {
            try {
                process.onExit().get(DEATH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // Alive but no longer talking: its VM cannot be managed, so it is stopped rather than left running.
                LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': worker " + pid() + " stopped answering");
                process.destroyForcibly();
            } catch (ExecutionException e) {
                // onExit does not fail
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x = dir.exit().orElseGet(() -> new VmExit(death.get(), null, true, null));
        }
        exit.complete(x);
    }

    private Reply call(LongFunction<Request> request) throws IOException {
        return call(request, REQUEST_TIMEOUT);
    }

    private Reply call(LongFunction<Request> request, Duration timeout) throws IOException {
        long id = ids.incrementAndGet();
        CompletableFuture<Reply> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            link.send(request.apply(id));
            Reply r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r instanceof Failed failed) {
                Exception x = raise(failed);
                if (x instanceof IOException io) throw io;
                throw (RuntimeException) x;
            }
            return r;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the VM's worker did not answer in " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    /** Sends without waiting for the answer (input typed at the console, power-off: its answer is the exit). */
    private void post(LongFunction<Request> request) {
        long id = ids.incrementAndGet();
        posted.add(id);
        try {
            link.send(request.apply(id));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': cannot reach the worker: " + e.getMessage());
        }
    }

    /** What an in-process engine would have thrown. */
    private static Exception raise(Failed f) {
        return switch (f.failure()) {
            case IO -> new IOException(f.message());
            case ILLEGAL_ARGUMENT -> new IllegalArgumentException(f.message());
            case UNSUPPORTED -> new UnsupportedOperationException(f.message());
            case ILLEGAL_STATE, PROTOCOL -> new IllegalStateException(f.message());
        };
    }

    @Override
    public void pause() {
        callUnchecked(WorkerMessage.Pause::new);
    }

    @Override
    public void resume() {
        callUnchecked(WorkerMessage.Resume::new);
    }

    /** A save writes all of guest memory: it may take far longer than other requests. */
    static final Duration SAVE_TIMEOUT = Duration.ofMinutes(10);

    /** The worker writes the state into its runtime directory (confined, it can write nowhere else); moved from there. */
    @Override
    public long save(Path file) throws IOException {
        String name = "saved-state.vmrs";
        call(id -> new WorkerMessage.Save(id, name), SAVE_TIMEOUT);
        Files.move(dir.path().resolve(name), file, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(file);
    }

    /** For operations that declare no IOException: the worker's I/O failure as an IllegalStateException. */
    private Reply callUnchecked(LongFunction<Request> request) {
        try {
            return call(request);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void powerOff(String why) {
        post(id -> new WorkerMessage.PowerOff(id, why));
    }

    @Override
    public boolean requestShutdown() {
        try {
            return call(WorkerMessage.RequestShutdown::new) instanceof WorkerMessage.Answer a && a.value();
        } catch (IOException | IllegalStateException e) {
            LOG.log(System.Logger.Level.WARNING, "VM '" + vmName + "': shutdown request failed: " + e.getMessage());
            return false;
        }
    }

    @Override
    public void sendInput(byte[] bytes) {
        for (int off = 0; off < bytes.length; off += WorkerMessage.MAX_CONSOLE_CHUNK) {
            byte[] chunk = java.util.Arrays.copyOfRange(
                    bytes, off, Math.min(bytes.length, off + WorkerMessage.MAX_CONSOLE_CHUNK));
            post(id -> new WorkerMessage.SendInput(id, chunk));
        }
    }

    @Override
    public CompletableFuture<VmExit> exit() {
        return exit;
    }

    /** The last integration state the worker sent, its heartbeat judged now (the worker sends it every second). */
    @Override
    public GuestIntegration integration() {
        GuestIntegration i = integration;
        if (i.heartbeat() == GuestIntegration.Heartbeat.NOT_OFFERED) return i;
        return new GuestIntegration(
                GuestIntegration.heartbeat(true, i.lastHeartbeat(), Instant.now()), i.lastHeartbeat(), i.kvp());
    }

    @Override
    public void attachDisk(Disk disk) throws IOException {
        call(id -> new WorkerMessage.AttachDisk(id, disk));
    }

    @Override
    public void updateDisk(Disk disk) throws IOException {
        call(id -> new WorkerMessage.UpdateDisk(id, disk));
    }

    @Override
    public void detachDisk(int slot) throws IOException {
        call(id -> new WorkerMessage.DetachDisk(id, slot));
    }

    @Override
    public void addNetworkAdapter(NetworkAdapter adapter) throws IOException {
        present(adapter);
        call(id -> new WorkerMessage.AddAdapter(id, adapter));
    }

    @Override
    public void removeNetworkAdapter(NetworkAdapter adapter) throws IOException {
        call(id -> new WorkerMessage.RemoveAdapter(id, adapter));
    }

    @Override
    public void updateNetworkAdapter(NetworkAdapter from, NetworkAdapter to) throws IOException {
        present(to);
        call(id -> new WorkerMessage.UpdateAdapter(id, from, to));
    }

    /** The service defines and builds switches; the worker only plugs into one that is there. */
    private void present(NetworkAdapter a) throws IOException {
        if (switches != null && a.switchName() != null) switches.forVm(vmName, a.switchName());
    }

    @Override
    public List<RecorderEntry> flightRecorder() {
        if (callUnchecked(WorkerMessage.ReadFlightRecorder::new) instanceof WorkerMessage.Recorder r)
            return r.entries();
        throw new IllegalStateException("the worker answered the flight recorder request with something else");
    }

    @Override
    public VmMetrics metrics() {
        if (callUnchecked(WorkerMessage.ReadMetrics::new) instanceof WorkerMessage.Metrics m) return m.metrics();
        throw new IllegalStateException("the worker answered the metrics request with something else");
    }

    @Override
    public byte[] screenshot() {
        if (callUnchecked(WorkerMessage.ReadScreenshot::new) instanceof WorkerMessage.Screenshot s) return s.png();
        throw new IllegalStateException("the worker answered the screenshot request with something else");
    }

    @Override
    public org.viridian.devices.video.ScreenTracker.Changes screenChanges(long pixelBudget, boolean all) {
        // The worker's budget is its frame's; a smaller one asked for here would only split the same changes finer.
        if (!(callUnchecked(id -> new WorkerMessage.ReadScreenChanges(id, all))
                instanceof WorkerMessage.ScreenChanges c))
            throw new IllegalStateException("the worker answered the screen request with something else");
        if (c.width() == 0) return null;
        // Inflating checks each tile's bytes against its size: a worker's damaged tile fails here, not in a viewer.
        var regions = c.tiles().stream()
                .map(t -> new org.viridian.devices.video.ScreenTracker.Region(
                        t.x(),
                        t.y(),
                        org.viridian.devices.video.Framebuffer.inflated(t.width(), t.height(), t.pixels())))
                .toList();
        return new org.viridian.devices.video.ScreenTracker.Changes(
                c.width(), c.height(), c.resized(), c.complete(), regions);
    }

    @Override
    public void keys(List<org.viridian.devices.input.KeyEvent> keys) {
        for (int i = 0; i < keys.size(); i += WorkerMessage.MAX_KEYS) {
            var part = keys.subList(i, Math.min(keys.size(), i + WorkerMessage.MAX_KEYS));
            post(id -> new WorkerMessage.SendKeys(id, part));
        }
    }

    @Override
    public void pointer(org.viridian.devices.input.PointerEvent p) {
        post(id -> new WorkerMessage.SendPointer(id, p));
    }

    /** The worker's pid: its cgroup is the VM's (resource controls). */
    @Override
    public java.util.OptionalLong processId() {
        return java.util.OptionalLong.of(pid());
    }

    /** Lets go of the worker; once the VM has exited, its runtime directory goes too. */
    @Override
    public void close() {
        detached = !exit.isDone();
        link.close();
        if (!detached) {
            try {
                dir.delete();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir.path() + ": " + e.getMessage());
            }
        }
    }
}
