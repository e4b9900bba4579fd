package org.viridian.vmbus.ring;

import java.util.ArrayDeque;

/**
 * The host's side of the ring it writes, with a backlog: a packet that meets a full ring waits, in order, and the
 * guest is asked (pending-send size) to signal once it has read enough for it to fit. Not thread-safe: the device
 * holds its channel's lock around every call.
 */
public final class Outbox {
    private record Waiting(int type, int flags, long transactionId, byte[] data) {}

    private final RingBuffer ring;
    private final ArrayDeque<Waiting> backlog = new ArrayDeque<>();
    private boolean askedForSpace;

    public Outbox(RingBuffer ring) {
        this.ring = ring;
    }

    /** Queues a packet and writes what fits; true when the guest must be signalled. */
    public boolean send(int type, int flags, long transactionId, byte[] data) {
        backlog.add(new Waiting(type, flags, transactionId, data));
        return flush();
    }

    /**
     * Writes a packet only if nothing waits and it fits now, without queueing or asking for space (messages that are
     * worthless late, such as a time sample).
     */
    public RingBuffer.WriteResult offer(int type, int flags, long transactionId, byte[] data) {
        if (!backlog.isEmpty()) return RingBuffer.WriteResult.FULL;
        return ring.write(type, flags, transactionId, new byte[0], data);
    }

    /** Writes the waiting packets while they fit; true when the guest must be signalled. */
    public boolean flush() {
        boolean signal = false;
        while (!backlog.isEmpty()) {
            Waiting next = backlog.peek();
            RingBuffer.WriteResult w =
                    ring.write(next.type(), next.flags(), next.transactionId(), new byte[0], next.data());
            if (w == RingBuffer.WriteResult.FULL) {
                ring.requestSpace(next.data().length + 64);
                askedForSpace = true;
                return signal;
            }
            backlog.poll();
            signal |= w == RingBuffer.WriteResult.WRITTEN_SIGNAL;
        }
        if (askedForSpace) {
            ring.requestSpace(0);
            askedForSpace = false;
        }
        return signal;
    }

    /** Packets still waiting for room. */
    public int waiting() {
        return backlog.size();
    }
}
