package org.viridian.hv.hypercall;

import static java.lang.System.Logger.Level.WARNING;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.viridian.kvm.sys.Libc;
import org.viridian.partition.Partition;

/**
 * HvSignalEvent without an exit to user space: the 64-bit hypercall page sends a fast HvSignalEvent as a 4-byte write
 * of the connection id to {@link #PORT} (see {@link HypercallPage}), and for each connection registered here KVM turns
 * that write into a count on an eventfd (KVM_IOEVENTFD with the id as datamatch), so the signalling VP goes straight
 * back to the guest. A thread per connection waits on its eventfd and runs the connection's handler — off the VP's
 * thread, which no longer does the device's work. Ids not registered here, and hosts whose KVM refuses, still exit to
 * user space ({@link FastSignalFallback}).
 */
public final class SignalDoorbells implements MessageCalls.Doorbells {
    private static final System.Logger LOG = System.getLogger(SignalDoorbells.class.getName());
    /** The port of the page's fast HvSignalEvent (next to {@link HypercallPage#PORT}). */
    public static final int PORT = 0xE9;

    private final Partition partition;
    private final Map<Integer, Doorbell> doorbells = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public SignalDoorbells(Partition partition) {
        this.partition = partition;
    }

    /** One connection's eventfd and the thread that answers it. */
    private final class Doorbell {
        final int connectionId;
        final int eventFd;
        final Runnable handler;
        volatile boolean stopped;
        /** Under this doorbell's lock: the eventfd was closed (by its thread, last), so nothing may write to it. */
        private boolean fdClosed;

        Thread thread;

        Doorbell(int connectionId, int eventFd, Runnable handler) {
            this.connectionId = connectionId;
            this.eventFd = eventFd;
            this.handler = handler;
        }

        void answer() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment count = a.allocate(ValueLayout.JAVA_LONG);
                while (!stopped) {
                    Libc.read(eventFd, count); // blocks until the guest rings (or stop() wakes it)
                    if (stopped) break;
                    try {
                        handler.run();
                    } catch (RuntimeException e) { // a device's fault must not silence the connection
                        LOG.log(WARNING, "hv: signal handler of connection " + connectionId + " failed: " + e);
                    }
                }
            } catch (RuntimeException e) {
                if (!stopped) LOG.log(WARNING, "hv: doorbell of connection " + connectionId + " stopped: " + e);
            } finally {
                synchronized (this) {
                    fdClosed = true;
                    Libc.close(eventFd);
                }
            }
        }

        /**
         * Makes the thread end (it closes the eventfd itself). Not joined: the caller may hold a lock the handler
         * is waiting for. The write and the close are serialized, so no write meets a closed, perhaps reused, fd.
         */
        void stop() {
            stopped = true;
            synchronized (this) {
                if (fdClosed) return;
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment one = a.allocate(ValueLayout.JAVA_LONG);
                    one.set(ValueLayout.JAVA_LONG, 0, 1);
                    Libc.write(eventFd, one);
                }
            }
        }
    }

    /** Rings {@code handler} for the guest's fast signals on {@code connectionId}; false where KVM refuses. */
    @Override
    public boolean connect(int connectionId, Runnable handler) {
        if (closed) return false;
        disconnect(connectionId);
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        if (!partition.portDoorbell(PORT, connectionId, fd, true)) {
            Libc.close(fd);
            return false;
        }
        Doorbell d = new Doorbell(connectionId, fd, handler);
        d.thread = Thread.ofPlatform()
                .daemon()
                .name(String.format("hv-doorbell-%x", connectionId))
                .unstarted(d::answer);
        doorbells.put(connectionId, d);
        d.thread.start();
        return true;
    }

    @Override
    public void disconnect(int connectionId) {
        Doorbell d = doorbells.remove(connectionId);
        if (d == null) return;
        partition.portDoorbell(PORT, connectionId, d.eventFd, false);
        d.stop();
    }

    /** Stops every doorbell (the partition is going away). */
    public void close() {
        closed = true;
        doorbells.keySet().forEach(this::disconnect);
    }
}
