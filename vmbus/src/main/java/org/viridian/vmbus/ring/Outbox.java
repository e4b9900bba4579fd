package org.viridian.vmbus.ring;

import java.util.ArrayDeque;

/**
 * The host's side of the ring it writes, with a backlog: a packet that meets a full ring waits, in order, and the
 * guest is asked (pending-send size) to signal once it has read enough for it to fit. Not thread-safe: the device
 * holds its channel's lock around every call. A packet written at once is not copied (callers may reuse their
 * buffers); only a packet that has to wait is.
 */
public final class Outbox {
    private static final byte[] NONE = new byte[0];

    private record Waiting(int type, int flags, long transactionId, byte[] headers, byte[] data) {}

    private final RingBuffer ring;
    private final ArrayDeque<Waiting> backlog = new ArrayDeque<>();
    private boolean askedForSpace;

    public Outbox(RingBuffer ring) {
        this.ring = ring;
    }

    /** Queues a packet and writes what fits; true when the guest must be signalled. */
    public boolean send(int type, int flags, long transactionId, byte[] data) {
        return send(type, flags, transactionId, NONE, data);
    }

    /**
     * Queues a packet with type-specific {@code headers} between descriptor and data (a multiple of 8 bytes, e.g. a
     * transfer-page header) and writes what fits; true when the guest must be signalled.
     */
    public boolean send(int type, int flags, long transactionId, byte[] headers, byte[] data) {
        if (backlog.isEmpty()) {
            RingBuffer.WriteResult w = ring.write(type, flags, transactionId, headers, data);
            if (w != RingBuffer.WriteResult.FULL) return w == RingBuffer.WriteResult.WRITTEN_SIGNAL;
        }
        backlog.add(new Waiting(type, flags, transactionId, headers.clone(), data.clone()));
        return flush();
    }

    /**
     * Writes a packet only if nothing waits and it fits now, without queueing or asking for space (messages that are
     * worthless late, such as a time sample).
     */
    public RingBuffer.WriteResult offer(int type, int flags, long transactionId, byte[] data) {
        return offer(type, flags, transactionId, NONE, data);
    }

    /** {@link #offer(int, int, long, byte[])} with type-specific headers. */
    public RingBuffer.WriteResult offer(int type, int flags, long transactionId, byte[] headers, byte[] data) {
        if (!backlog.isEmpty()) return RingBuffer.WriteResult.FULL;
        return ring.write(type, flags, transactionId, headers, data);
    }

    /** Writes the waiting packets while they fit; true when the guest must be signalled. */
    public boolean flush() {
        boolean signal = false;
        while (!backlog.isEmpty()) {
            Waiting next = backlog.peek();
            RingBuffer.WriteResult w =
                    ring.write(next.type(), next.flags(), next.transactionId(), next.headers(), next.data());
            if (w == RingBuffer.WriteResult.FULL) {
                ring.requestSpace(next.headers().length + next.data().length + 64);
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
