package org.viridian.app.vhd;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.viridian.app.cli.Messages;

/**
 * The disk tools' server: a resident JVM of one user that runs `viridian vhd convert` command lines for the client the
 * launcher starts ({@code src/main/c/vhd-client.c}), so that a conversion does not pay a JVM's start — on a 1 GiB
 * image that start was half of the command, the reason a short `vhd convert` was slower than qemu-img. The same idea as
 * Gradle's daemon or Nailgun, kept narrow: only plain convert lines (anything else is handed back to the client, which
 * runs it in a JVM of its own, as without a server), one user (the socket lives in a 0700 directory of that user, and
 * each peer's credentials are checked), one umask, group and set of groups (the client's socket name hashes them, so
 * a file this creates has the mode and group it would have had), its build (a changed jar ends it), and it exits when
 * idle. A client that goes away (killed, ^C) cancels its command: the conversion stops and removes its temporary file,
 * as an interrupted one does.
 *
 * <p>{@code java ... org.viridian.app.vhd.VhdServer SOCKET}; {@code -Dviridian.vhd.server.idleSeconds} (default 600).
 */
public final class VhdServer {
    private final Path socket;
    private final long idleMillis;
    private final List<Stamp> build = buildStamps();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong lastActive = new AtomicLong(System.currentTimeMillis());
    private final AtomicLong served = new AtomicLong();
    private volatile ServerSocketChannel server;
    private final java.util.concurrent.atomic.AtomicBoolean warmed = new java.util.concurrent.atomic.AtomicBoolean();

    /** -Dviridian.vhd.server.warmUp=false: no warm-up (see {@link #warmUp}). */
    private static final boolean WARM_UP = !"false".equals(System.getProperty("viridian.vhd.server.warmUp"));

    /**
     * Rounds of the warm-up's conversions (-Dviridian.vhd.server.warmUpRounds). Measured on a fresh server, the first
     * 1 GiB qcow2 → VHD after it (three servers each): no warm-up 254-328 ms, one round 233-298 ms, four 166-211 ms
     * (1.7 s at nice 19): the small images need a few rounds before the copy's loops are compiled.
     */
    private static final int WARM_UP_ROUNDS = Integer.getInteger("viridian.vhd.server.warmUpRounds", 4);

    VhdServer(Path socket, long idleMillis) {
        this.socket = socket;
        this.idleMillis = idleMillis;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: VhdServer SOCKET");
            System.exit(2);
        }
        long idle = Long.getLong("viridian.vhd.server.idleSeconds", 600) * 1000;
        VhdServer server = new VhdServer(Path.of(args[0]), idle);
        server.serve();
        // A stale build stops the accept loop while other commands may still run: they finish first.
        while (server.running.get() > 0) Thread.sleep(100);
        System.exit(0);
    }

    /** Serves until idle for the idle time, or until its build changed; one server per socket (a lock file). */
    void serve() throws IOException {
        Path lockFile = socket.resolveSibling(socket.getFileName() + ".lock");
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockChannel.tryLock()) {
            if (lock == null) {
                log("another server holds " + lockFile + "; leaving the socket to it");
                return;
            }
            ServedOutput.install();
            Files.deleteIfExists(socket); // a server that died left it; the lock says none serves it now
            try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                s.bind(UnixDomainSocketAddress.of(socket));
                server = s;
                log("serving " + socket + " (pid " + ProcessHandle.current().pid() + ")");
                startIdleWatch();
                acceptLoop(s);
            } finally {
                Files.deleteIfExists(socket);
                log("stopped after " + served.get() + " commands");
            }
        }
    }

    private void acceptLoop(ServerSocketChannel s) throws IOException {
        while (true) {
            SocketChannel c;
            try {
                c = s.accept();
            } catch (ClosedChannelException e) {
                return; // idle, or a stale build: see stop()
            }
            running.incrementAndGet();
            Thread t = new Thread(() -> handle(c), "vhd-request");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Closing the listening socket ends the accept loop; commands still running finish first (see main). */
    private void stop(String why) {
        log(why);
        try {
            ServerSocketChannel s = server;
            if (s != null) s.close();
        } catch (IOException e) {
            log("closing the socket: " + e);
        }
    }

    private void startIdleWatch() {
        Thread t = new Thread(
                () -> {
                    while (server.isOpen()) {
                        try {
                            Thread.sleep(Math.min(1000, idleMillis));
                        } catch (InterruptedException e) {
                            return;
                        }
                        if (running.get() == 0 && System.currentTimeMillis() - lastActive.get() >= idleMillis) {
                            stop("idle for " + idleMillis / 1000 + " s");
                            return;
                        }
                    }
                },
                "vhd-idle");
        t.setDaemon(true);
        t.start();
    }

    private void handle(SocketChannel c) {
        try (c) {
            ServedOutput.Client client = new ServedOutput.Client(c);
            if (!sameUser(c)) {
                log("refused a peer of another user");
                return;
            }
            VhdRequest req;
            try {
                req = VhdRequest.read(c);
            } catch (VhdRequest.BadRequest e) {
                log("refused a request: " + e.getMessage());
                client.refuse(e.getMessage());
                // What the peer sent beyond the bad part, discarded: a socket closed with unread bytes resets the
                // connection, and the peer would lose the reply.
                c.shutdownOutput();
                c.configureBlocking(false);
                ByteBuffer rest = ByteBuffer.allocate(64 << 10);
                while (c.read(rest.clear()) > 0) {}
                return;
            }
            VhdConvert convert = req.args().size() > 1 && req.args().get(0).equals("convert")
                    ? VhdConvert.parseSimple(
                            req.args().subList(1, req.args().size()).toArray(String[]::new))
                    : null;
            if (convert == null) {
                client.refuse("not a plain convert command line");
                return;
            }
            if (!build.equals(buildStamps())) {
                client.refuse("this server's build changed");
                stop("the build changed; a new server serves the next command");
                return;
            }
            convert.base = req.cwd();
            int status = runWatched(c, client, convert, Messages.fromEnvironment(req.localeEnv()));
            served.incrementAndGet();
            client.exit(status);
            if (WARM_UP && warmed.compareAndSet(false, true)) warmUp();
        } catch (IOException | RuntimeException e) {
            log("a request failed: " + e);
        } finally {
            lastActive.set(System.currentTimeMillis());
            running.decrementAndGet();
        }
    }

    /**
     * After its first command the server converts small images of every format a few times, as the start-up cache's
     * training run does ({@link VhdTraining#convertAll}), so that the first user conversion of each format runs
     * compiled code (figures at {@link #WARM_UP_ROUNDS}). On a thread at the lowest
     * priority (nice 19, which the qemu-img it runs to make the qcow2 and VMDK inputs inherits), so it takes no CPU from
     * a command that runs meanwhile; no nice, no warm-up. In the socket's private directory; counted as running, so the
     * server does not stop under it.
     */
    private void warmUp() {
        running.incrementAndGet();
        Thread t = new Thread(
                () -> {
                    long t0 = System.nanoTime();
                    try {
                        if (!org.viridian.kvm.sys.Libc.niceCallingThread(19)) {
                            log("no warm-up: this thread's priority could not be lowered");
                            return;
                        }
                        var discard = new ServedOutput.Client(
                                java.nio.channels.Channels.newChannel(java.io.OutputStream.nullOutputStream()));
                        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
                            Path dir = Files.createTempDirectory(
                                    socket.toAbsolutePath().getParent(), "warm-up-");
                            ScopedValue.where(ServedOutput.CLIENT, discard).call(() -> {
                                VhdTraining.convertAll(dir);
                                return null;
                            });
                        }
                        log("warmed up in %.1f s".formatted((System.nanoTime() - t0) / 1e9));
                    } catch (Exception | LinkageError e) {
                        log("the warm-up failed: " + e);
                    } finally {
                        lastActive.set(System.currentTimeMillis());
                        running.decrementAndGet();
                    }
                },
                "vhd-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /** Runs the command on this thread, cancelled (interrupted) if its client goes away first. */
    private static int runWatched(
            SocketChannel c, ServedOutput.Client client, VhdConvert convert, java.util.Locale locale)
            throws IOException {
        Thread worker = Thread.currentThread();
        Object done = new Object();
        boolean[] finished = {false};
        Thread watch = new Thread(
                () -> {
                    try {
                        // The client sends nothing more: a read returns only at its end (or this side's close).
                        while (c.read(ByteBuffer.allocate(1)) >= 0) {}
                    } catch (IOException e) {
                        // closed by the server at the command's end, or the client's connection reset: as an end
                    }
                    synchronized (done) {
                        if (!finished[0]) {
                            log("the client went away; cancelling its command");
                            worker.interrupt();
                        }
                    }
                },
                "vhd-watch");
        watch.setDaemon(true);
        watch.start();
        try {
            return ScopedValue.where(ServedOutput.CLIENT, client)
                    .where(Messages.REQUEST_LOCALE, locale)
                    .call(() -> VhdMain.run(convert));
        } finally {
            synchronized (done) {
                finished[0] = true;
                Thread.interrupted(); // an interrupt that came too late to cancel anything
            }
        }
    }

    private boolean sameUser(SocketChannel c) throws IOException {
        UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return Objects.equals(peer.user(), Files.getOwner(socket));
    }

    /** Each jar of the class path as it was when the server started: a rebuilt jar means this server is stale. */
    private record Stamp(String jar, long size, Instant modified) {}

    private static List<Stamp> buildStamps() {
        List<Stamp> stamps = new ArrayList<>();
        for (String entry : Arrays.asList(System.getProperty("java.class.path").split(java.io.File.pathSeparator))) {
            if (!entry.endsWith(".jar")) continue;
            Path p = Path.of(entry);
            try {
                stamps.add(new Stamp(
                        entry, Files.size(p), Files.getLastModifiedTime(p).toInstant()));
            } catch (IOException e) {
                stamps.add(new Stamp(entry, -1, Instant.EPOCH));
            }
        }
        return stamps;
    }

    private static void log(String line) {
        // Not System.err: that is the served commands' stream. The JVM's own descriptor 2 is the server's log.
        java.io.PrintStream log = LOG;
        synchronized (log) {
            log.println(Instant.now() + " vhd-server: " + line);
        }
    }

    private static final java.io.PrintStream LOG =
            new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
}
