package org.viridian.devices.netvsp;

import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A port on a Linux TAP device (/dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI): frames the guest transmits are
 * written to it (the host sees them arrive on the interface), frames the host sends out of the interface are read by
 * one reader thread and handed to the adapter. The interface is created if it does not exist (it goes away with the
 * port unless made persistent elsewhere); bringing it up, addressing it or bridging it is the host's business. Buffers
 * are native and reused: no allocation per frame.
 */
public final class TapPort implements NetworkPort {
    private static final System.Logger LOG = System.getLogger(TapPort.class.getName());

    /** _IOW('T', 202, int). */
    static final long TUNSETIFF = 0x400454caL;

    static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    /** struct ifreq: char ifr_name[IFNAMSIZ = 16], then the union (ifr_flags is a short). */
    static final int IFREQ = 40, IFNAMSIZ = 16;
    /** The largest frame read or written: a 64 KiB frame and more than any MTU allows. */
    static final int MAX_FRAME = 65536 + 64;

    private final int fd;
    private final String name;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment txBuffer = arena.allocate(MAX_FRAME);
    private final MemorySegment rxBuffer = arena.allocate(MAX_FRAME);
    private final MemorySegment pollFd = arena.allocate(8);
    private final byte[] rxHeap = new byte[MAX_FRAME];
    private final AtomicLong errors = new AtomicLong();
    private Thread reader;
    private volatile boolean closed;

    private TapPort(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Attaches to TAP interface {@code name} (created when missing; a pattern such as "vtap%d" lets the kernel pick).
     * Needs CAP_NET_ADMIN to create one, or ownership of a persistent one.
     */
    public static TapPort open(String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) throw new IllegalArgumentException("interface name " + name);
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(IFREQ);
            MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
            ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
            Libc.ioctl(fd, TUNSETIFF, ifr, "TUNSETIFF " + name);
            // The kernel writes back the name it used (a pattern becomes e.g. vtap0).
            return new TapPort(fd, ifr.getString(0, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** The interface's name. */
    public String name() {
        return name;
    }

    /** Frames that could not be written or read (the interface down, the queue full). */
    public long errors() {
        return errors.get();
    }

    @Override
    public void transmit(ByteBuffer frame) {
        int length = frame.remaining();
        if (length > MAX_FRAME) throw new IllegalArgumentException("frame of " + length + " bytes");
        synchronized (txBuffer) {
            if (closed) return;
            MemorySegment.copy(MemorySegment.ofBuffer(frame), 0, txBuffer, 0, length);
            long n = Libc.write(fd, txBuffer, length);
            if (n != length) {
                errors.incrementAndGet();
                // EIO while the interface is down, EAGAIN when its queue is full: the frame is lost, as on a wire.
                throw new UncheckedIOException(new IOException(
                        "write to " + name + ": " + (n < 0 ? "errno " + Libc.errno() : n + " of " + length)));
            }
        }
    }

    @Override
    public synchronized void attach(Receiver receiver) {
        if (reader != null) throw new IllegalStateException("a receiver is already attached");
        reader = Thread.ofPlatform().daemon().name("tap-" + name).start(() -> readLoop(receiver));
    }

    /** Waits for frames (poll with a timeout, so close is noticed) and hands each to the receiver. */
    private void readLoop(Receiver receiver) {
        pollFd.set(ValueLayout.JAVA_INT, 0, fd);
        pollFd.set(ValueLayout.JAVA_SHORT, 4, (short) Libc.POLLIN);
        ByteBuffer view = ByteBuffer.wrap(rxHeap);
        while (!closed) {
            int ready = Libc.poll(pollFd, 1, 100);
            if (ready <= 0) continue;
            while (!closed) {
                long n = Libc.read(fd, rxBuffer, MAX_FRAME);
                if (n < 0) {
                    int errno = Libc.errno();
                    if (errno != Libc.EAGAIN && errno != Libc.EINTR) {
                        errors.incrementAndGet();
                        LOG.log(WARNING, "tap " + name + ": read failed, errno " + errno);
                    }
                    break;
                }
                MemorySegment.copy(rxBuffer, ValueLayout.JAVA_BYTE, 0, rxHeap, 0, (int) n);
                try {
                    receiver.receive(view.clear().limit((int) n));
                } catch (RuntimeException e) {
                    LOG.log(WARNING, "tap " + name + ": the receiver failed on a frame", e);
                }
            }
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closed) return;
            closed = true;
            t = reader;
        }
        if (t != null) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (txBuffer) {
            Libc.close(fd);
        }
        arena.close();
    }
}
