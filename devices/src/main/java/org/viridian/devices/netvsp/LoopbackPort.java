package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory port joined to a peer: what one transmits, the other's receiver gets, on the receiving port's own
 * delivery thread, so two adapters joined this way never call into each other under their locks. A frame is copied
 * into the peer's bounded queue (a full queue drops it, like a busy wire). For tests and for joining two VMs' adapters
 * back to back.
 */
public final class LoopbackPort implements NetworkPort {
    /** Frames waiting for delivery; more are dropped. */
    static final int QUEUE = 1024;

    private final BlockingQueue<byte[]> inbound = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private LoopbackPort peer;
    private volatile Receiver receiver;
    private Thread delivery;
    private volatile boolean closed;

    private LoopbackPort() {}

    /** Two ports joined to each other. */
    public static LoopbackPort[] pair() {
        LoopbackPort a = new LoopbackPort(), b = new LoopbackPort();
        a.peer = b;
        b.peer = a;
        return new LoopbackPort[] {a, b};
    }

    @Override
    public void transmit(ByteBuffer frame) {
        byte[] copy = new byte[frame.remaining()];
        frame.duplicate().get(copy);
        if (peer.closed || !peer.inbound.offer(copy)) peer.dropped.incrementAndGet();
    }

    @Override
    public synchronized void attach(Receiver r) {
        if (receiver != null) throw new IllegalStateException("a receiver is already attached");
        receiver = r;
        delivery = Thread.ofPlatform().daemon().name("loopback-port").start(this::deliver);
    }

    /** Tells the receiver the link changed, as a cable pulled or plugged would. */
    public void setLink(boolean up) {
        Receiver r = receiver;
        if (r != null) r.linkChanged(up);
    }

    /** Frames dropped on their way to this port (queue full or closed). */
    public long dropped() {
        return dropped.get();
    }

    private void deliver() {
        try {
            while (!closed) {
                byte[] frame = inbound.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (frame != null) receiver.receive(ByteBuffer.wrap(frame));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = delivery;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
