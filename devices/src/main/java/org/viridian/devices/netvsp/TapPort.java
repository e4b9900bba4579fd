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
 *
 * <p>With offloads (the default) the device is opened with IFF_VNET_HDR: every frame carries a struct virtio_net_hdr,
 * so a guest's frame whose TCP/UDP checksum is still to be filled in, or a 64 KiB TCP send still to be cut into
 * segments, goes to the host kernel as it is ({@link TxOffload} maps onto the header) and the kernel finishes it, in
 * the bridge or at the receiving socket. Towards the guest TUNSETOFFLOAD stays 0: the kernel hands over only frames of
 * at most the MTU with their checksums complete, because the guest's receive sections hold one MTU-sized frame each
 * (no RSC is offered) and completing a partial checksum here would cost what it costs the kernel. The header's
 * DATA_VALID (the kernel verified the checksums) becomes the guest's receive checksum indication.
 *
 * <p>One file descriptor, not IFF_MULTI_QUEUE: the guest's own indirection table picks the receive queue, which one
 * reader thread does per frame at the cost of a hash; the kernel's queue choice per fd could not follow that table.
 */
public final class TapPort implements NetworkPort {
    private static final System.Logger LOG = System.getLogger(TapPort.class.getName());

    /** _IOW('T', 202, int). */
    static final long TUNSETIFF = 0x400454caL;

    /** _IOW('T', 208, unsigned int): what the kernel may hand us (TUN_F_*); _IOW('T', 216, int): the header size. */
    static final long TUNSETOFFLOAD = 0x400454d0L, TUNSETVNETHDRSZ = 0x400454d8L;

    static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    /** sizeof(struct virtio_net_hdr): flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
    static final int VNET_HDR = 10;
    /** virtio_net_hdr flags. */
    static final int VNET_NEEDS_CSUM = 1, VNET_DATA_VALID = 2;
    /** struct ifreq: char ifr_name[IFNAMSIZ = 16], then the union (ifr_flags is a short). */
    static final int IFREQ = 40, IFNAMSIZ = 16;
    /** The largest frame read or written: a 64 KiB frame and more than any MTU allows. */
    static final int MAX_FRAME = 65536 + 64;

    private final int fd;
    private final String name;
    /** The vnet header's size before every frame (0: opened without offloads). */
    private final int header;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment txBuffer = arena.allocate(MAX_FRAME + VNET_HDR);
    private final MemorySegment rxBuffer = arena.allocate(MAX_FRAME + VNET_HDR);
    private final MemorySegment pollFd = arena.allocate(8);
    private final byte[] rxHeap = new byte[MAX_FRAME];
    private final AtomicLong errors = new AtomicLong();
    private Thread reader;
    private volatile boolean closed;

    private TapPort(int fd, String name, int header) {
        this.fd = fd;
        this.name = name;
        this.header = header;
    }

    /**
     * Attaches to TAP interface {@code name} (created when missing; a pattern such as "vtap%d" lets the kernel pick),
     * with offloads. Needs CAP_NET_ADMIN to create one, or ownership of a persistent one.
     */
    public static TapPort open(String name) throws IOException {
        return open(name, true);
    }

    /** {@link #open(String)}, with or without the checksum and segmentation offloads (a vnet header). */
    public static TapPort open(String name, boolean offloads) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) throw new IllegalArgumentException("interface name " + name);
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(IFREQ);
            MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
            short flags = (short) (IFF_TAP | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0));
            ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, flags);
            Libc.ioctl(fd, TUNSETIFF, ifr, "TUNSETIFF " + name);
            if (offloads) {
                MemorySegment size = a.allocate(4);
                size.set(ValueLayout.JAVA_INT, 0, VNET_HDR);
                Libc.ioctl(fd, TUNSETVNETHDRSZ, size, "TUNSETVNETHDRSZ " + name);
                // The argument is the flags themselves, not a pointer: none, see the class comment.
                Libc.ioctl(fd, TUNSETOFFLOAD, MemorySegment.NULL, "TUNSETOFFLOAD " + name);
            }
            // The kernel writes back the name it used (a pattern becomes e.g. vtap0).
            return new TapPort(fd, ifr.getString(0, StandardCharsets.US_ASCII), offloads ? VNET_HDR : 0);
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
    public boolean offloads() {
        return header != 0;
    }

    @Override
    public void transmit(ByteBuffer frame) {
        transmit(frame, TxOffload.NONE);
    }

    @Override
    public void transmit(ByteBuffer frame, long offload) {
        int length = frame.remaining();
        if (length > MAX_FRAME) throw new IllegalArgumentException("frame of " + length + " bytes");
        if (offload != TxOffload.NONE && header == 0) {
            throw new IllegalArgumentException("no offloads on " + name + ": " + TxOffload.toString(offload));
        }
        synchronized (txBuffer) {
            if (closed) return;
            if (header != 0) writeHeader(offload);
            MemorySegment.copy(MemorySegment.ofBuffer(frame), 0, txBuffer, header, length);
            long n = Libc.write(fd, txBuffer, header + length);
            if (n != header + length) {
                errors.incrementAndGet();
                // EIO while the interface is down, EAGAIN when its queue is full: the frame is lost, as on a wire.
                throw new UncheckedIOException(new IOException(
                        "write to " + name + ": " + (n < 0 ? "errno " + Libc.errno() : n + " of " + length)));
            }
        }
    }

    /** struct virtio_net_hdr (native byte order, as a TAP device without TUNSETVNETLE takes it) for the offload. */
    private void writeHeader(long offload) {
        boolean csum = TxOffload.needsChecksum(offload);
        txBuffer.set(ValueLayout.JAVA_BYTE, 0, (byte) (csum ? VNET_NEEDS_CSUM : 0));
        txBuffer.set(ValueLayout.JAVA_BYTE, 1, (byte) TxOffload.gsoType(offload));
        txBuffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) TxOffload.headerLength(offload));
        txBuffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, 4, (short) TxOffload.gsoSize(offload));
        txBuffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) TxOffload.csumStart(offload));
        txBuffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, (short) TxOffload.csumOffset(offload));
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
                long n = Libc.read(fd, rxBuffer, MAX_FRAME + header);
                if (n < 0) {
                    int errno = Libc.errno();
                    if (errno != Libc.EAGAIN && errno != Libc.EINTR) {
                        errors.incrementAndGet();
                        LOG.log(WARNING, "tap " + name + ": read failed, errno " + errno);
                    }
                    break;
                }
                int length = (int) n - header;
                if (length < 0) continue;
                MemorySegment.copy(rxBuffer, ValueLayout.JAVA_BYTE, header, rxHeap, 0, length);
                boolean verified = false;
                if (header != 0) {
                    int flags = rxBuffer.get(ValueLayout.JAVA_BYTE, 0), gso = rxBuffer.get(ValueLayout.JAVA_BYTE, 1);
                    // TUNSETOFFLOAD 0 rules both out; should a kernel differ, finish or refuse the frame here.
                    if (gso != 0 || (flags & VNET_NEEDS_CSUM) != 0 && !completeChecksum(length)) {
                        errors.incrementAndGet();
                        continue;
                    }
                    verified = (flags & VNET_DATA_VALID) != 0;
                }
                try {
                    receiver.receive(view.clear().limit(length), verified);
                } catch (RuntimeException e) {
                    LOG.log(WARNING, "tap " + name + ": the receiver failed on a frame", e);
                }
            }
        }
    }

    /** Fills in the checksum a NEEDS_CSUM header asks for in the frame in rxHeap; false when it lies outside. */
    private boolean completeChecksum(int length) {
        int start = Short.toUnsignedInt(rxBuffer.get(ValueLayout.JAVA_SHORT_UNALIGNED, 6));
        int offset = Short.toUnsignedInt(rxBuffer.get(ValueLayout.JAVA_SHORT_UNALIGNED, 8));
        if (start + offset + 2 > length) return false;
        int sum = ~TransmitOffloads.fold(TransmitOffloads.sum(rxHeap, start, length - start)) & 0xFFFF;
        rxHeap[start + offset] = (byte) (sum >>> 8);
        rxHeap[start + offset + 1] = (byte) sum;
        return true;
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
