package org.viridian.management.worker;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Objects;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.VmExit;
import org.viridian.management.worker.WorkerMessage.Failed;
import org.viridian.management.worker.WorkerMessage.Failure;
import org.viridian.management.worker.WorkerMessage.RunState;

/**
 * The worker's end of the protocol: listens on the runtime directory's socket (0600, and only peers running as this
 * user are served), serves one service connection at a time, streams the VM's console and state to it, and executes its
 * requests on the VM. The VM runs on whether a service is connected or not.
 */
final class WorkerServer {
    private static final System.Logger LOG = System.getLogger(WorkerServer.class.getName());
    private static final long CONSOLE_PUMP_MS = 20, INTEGRATION_PUMP_MS = 1000;
    private final RuntimeDir dir;
    private final String vmId;
    private final RunningVm vm;
    private final ConsoleBuffer console;
    private final WorkerRequests requests;
    private final Object sessionLock = new Object();
    private WorkerLink<WorkerMessage.ToWorker> session; // the connected service, if any
    private long consoleSent; // console offset the session has been sent up to
    private GuestIntegration integrationSent;
    private VmExit exit; // how the VM ended, once it has
    private final java.util.concurrent.CountDownLatch delivered = new java.util.concurrent.CountDownLatch(1);

    WorkerServer(RuntimeDir dir, String vmId, RunningVm vm, ConsoleBuffer console) {
        this.dir = dir;
        this.vmId = vmId;
        this.vm = vm;
        this.console = console;
        this.requests = new WorkerRequests(vm, dir.path(), this::stateChanged);
    }

    /** Binds the socket and serves connections until the process ends. */
    void serve() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Files.deleteIfExists(dir.socket());
        server.bind(UnixDomainSocketAddress.of(dir.socket()));
        Files.setPosixFilePermissions(dir.socket(), PosixFilePermissions.fromString("rw-------"));
        Thread.ofPlatform().daemon().name("worker-pump").start(this::pump);
        while (true) {
            SocketChannel c = server.accept();
            Thread.ofPlatform().daemon().name("worker-session").start(() -> session(c));
        }
    }

    private void session(SocketChannel c) {
        WorkerLink<WorkerMessage.ToWorker> link = new WorkerLink<>(c, WorkerMessage.ToWorker.class);
        try {
            if (!sameUser(c, dir)) {
                refuse(link, "this worker serves only its own user's service");
                return;
            }
            WorkerMessage.ToWorker first = link.receive();
            if (!(first instanceof WorkerMessage.ServiceHello(int version))) {
                refuse(
                        link,
                        "expected service-hello first, got " + first.getClass().getSimpleName());
                return;
            }
            if (version != WorkerMessage.VERSION) {
                refuse(
                        link,
                        "protocol version " + version + " not spoken here (this worker speaks " + WorkerMessage.VERSION
                                + ")");
                return;
            }
            synchronized (sessionLock) {
                if (session != null) {
                    refuse(link, "another service is connected to this worker");
                    return;
                }
                ConsoleBuffer.Snapshot scrollback = console.snapshot();
                link.send(new WorkerMessage.WorkerHello(
                        WorkerMessage.VERSION,
                        ProcessHandle.current().pid(),
                        vmId,
                        requests.state(),
                        scrollback.bytes()));
                consoleSent = scrollback.end();
                integrationSent = null;
                session = link;
                // The VM ended before this service came (a guest that is done at once, or while no service ran): its
                // exit goes to this one, which then has all there is to know.
                if (exit != null) deliverExit();
            }
            LOG.log(System.Logger.Level.INFO, "service connected");
            serveRequests(link);
        } catch (EOFException e) {
            // the service went away (or never said hello)
        } catch (IOException | ProtocolException e) {
            LOG.log(System.Logger.Level.WARNING, "service connection ended: " + e.getMessage());
        } finally {
            synchronized (sessionLock) {
                if (session == link) {
                    session = null;
                    LOG.log(System.Logger.Level.INFO, "service disconnected; the VM runs on");
                }
            }
            link.close();
        }
    }

    private void serveRequests(WorkerLink<WorkerMessage.ToWorker> link) throws IOException, ProtocolException {
        while (true) {
            WorkerMessage.ToWorker m;
            try {
                m = link.receive();
            } catch (ProtocolException e) {
                LOG.log(System.Logger.Level.WARNING, "refused a frame from the service: " + e.getMessage());
                if (!e.recoverable()) throw e;
                link.send(new Failed(0, Failure.PROTOCOL, e.getMessage()));
                continue;
            }
            switch (m) {
                case WorkerMessage.ServiceHello h -> {
                    LOG.log(System.Logger.Level.WARNING, "refused a second service-hello");
                    link.send(new Failed(0, Failure.PROTOCOL, "service-hello again on a connection that said it"));
                }
                case WorkerMessage.Request r -> link.send(requests.execute(r));
            }
        }
    }

    private void stateChanged(RunState s) {
        send(new WorkerMessage.StateChanged(s));
    }

    /** Sends to the connected service, if any; a service gone meanwhile is noticed by its session. */
    private void send(WorkerMessage.ToService m) {
        synchronized (sessionLock) {
            if (session == null) return;
            try {
                session.send(m);
            } catch (IOException e) {
                session.close();
            }
        }
    }

    /** Console output and integration changes to the connected service, as they come. */
    private void pump() {
        long lastIntegration = 0;
        while (true) {
            try {
                Thread.sleep(CONSOLE_PUMP_MS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (sessionLock) {
                if (session == null || exit != null) continue;
                pumpConsole();
                long now = System.nanoTime();
                if (now - lastIntegration >= INTEGRATION_PUMP_MS * 1_000_000) {
                    lastIntegration = now;
                    GuestIntegration i = vm.integration();
                    if (!i.equals(integrationSent)) {
                        integrationSent = i;
                        send(new WorkerMessage.IntegrationChanged(i));
                    }
                }
            }
        }
    }

    /** Caller holds sessionLock. */
    private void pumpConsole() {
        ConsoleBuffer.Snapshot s = console.since(consoleSent);
        byte[] b = s.bytes();
        for (int off = 0; off < b.length; off += WorkerMessage.MAX_CONSOLE_CHUNK) {
            send(new WorkerMessage.Console(
                    Arrays.copyOfRange(b, off, Math.min(b.length, off + WorkerMessage.MAX_CONSOLE_CHUNK))));
        }
        consoleSent = s.end();
    }

    /**
     * The VM ended: recorded in the runtime directory first (for a service that comes back later), then told to the
     * connected service, if any, with the console's last output.
     */
    void vmExited(VmExit x) {
        synchronized (sessionLock) {
            if (exit != null) return;
            exit = x;
            try {
                dir.writeExit(x);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot record the VM's exit: " + e.getMessage());
            }
            if (session != null) deliverExit();
        }
    }

    /** Caller holds sessionLock, with a session. */
    private void deliverExit() {
        pumpConsole();
        send(new WorkerMessage.Exited(exit));
        delivered.countDown();
    }

    /** Waits until a service has been told how the VM ended, for at most {@code linger}; true if one was. */
    boolean awaitDelivered(java.time.Duration linger) throws InterruptedException {
        return delivered.await(linger.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private static void refuse(WorkerLink<?> link, String why) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "refused a connection: " + why);
        link.send(new Failed(0, Failure.PROTOCOL, why));
    }

    /** Whether the peer runs as the user owning the runtime directory (the service's, and this worker's). */
    private static boolean sameUser(SocketChannel c, RuntimeDir dir) throws IOException {
        UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return Objects.equals(peer.user(), Files.getOwner(dir.path()));
    }
}
