package org.viridian.vmbus.ring;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * One direction of a VMBus channel: a ring in guest memory with a 4 KiB control page (write index, read index,
 * interrupt mask, pending-send size, feature bits) followed by the data area. Packets are a 16-byte descriptor
 * (type, data offset and total length in 8-byte units, flags, transaction id), 8-byte aligned, followed by an 8-byte
 * trailer holding the writer's previous index. The host reads the guest's outbound ring and writes its inbound ring.
 * The guest can write anything here at any time: every index and length is validated before use, and a ring no
 * correct peer could produce raises {@link RingCorruptException} so the caller closes that channel only.
 */
public final class RingBuffer {
    static final int WRITE_INDEX = 0, READ_INDEX = 4, INTERRUPT_MASK = 8, PENDING_SEND_SIZE = 12, FEATURE_BITS = 64;
    static final int CONTROL = 4096, DESCRIPTOR = 16, TRAILER = 8;
    static final int FEATURE_PENDING_SEND_SIZE = 1;

    private final GpaPages pages;
    private final int dataSize;
    private ByteBuffer scratch = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
    /**
     * The host's writes so far and why each did or did not interrupt the guest (its reader had masked interrupts, or
     * had not yet read up to the write): a channel whose reader is slow to see packets shows here. Written only by
     * the one writer; read by anyone as a diagnosis, so plain fields: no fence on the write path for a figure that may
     * be a moment old.
     */
    private long writesSignalled, writesMasked, writesUnread, writesFull;

    public RingBuffer(GpaPages pages) {
        if (pages.size() < 2L * CONTROL || pages.size() > (1L << 30)) {
            throw new RingCorruptException("a ring needs 2 to 262144 pages, not " + pages.size() / CONTROL);
        }
        this.pages = pages;
        this.dataSize = (int) (pages.size() - CONTROL);
    }

    public int dataSize() {
        return dataSize;
    }

    /** Host as reader: the next packet the guest wrote, or empty when the ring is empty. Advances the read index. */
    public Optional<Packet> read() {
        // The read index this reader last published must be visible before the write index is looked at: a guest
        // writing now checks the read index after its write (full barrier in Linux's hv_signal_on_write) and signals
        // only if it finds the ring was empty. Without this fence both sides can miss each other on x86 (a store
        // may pass a later load): the guest does not signal and this reader has already decided the ring is empty.
        VarHandle.fullFence();
        int w = index(WRITE_INDEX, "write"), r = index(READ_INDEX, "read");
        if (r == w) return Optional.empty();
        int avail = w > r ? w - r : dataSize - r + w;
        if (avail < DESCRIPTOR + TRAILER)
            throw new RingCorruptException("ring holds " + avail + " bytes, less than a packet");
        ByteBuffer d = ByteBuffer.wrap(copyOut(r, DESCRIPTOR)).order(ByteOrder.LITTLE_ENDIAN);
        int type = Short.toUnsignedInt(d.getShort(0));
        int offset = Short.toUnsignedInt(d.getShort(2)) * 8;
        int length = Short.toUnsignedInt(d.getShort(4)) * 8;
        int flags = Short.toUnsignedInt(d.getShort(6));
        long transactionId = d.getLong(8);
        if (length < DESCRIPTOR || offset < DESCRIPTOR || offset > length || (long) length + TRAILER > avail) {
            throw new RingCorruptException(String.format(
                    "bad packet descriptor: type %d offset %d length %d with %d bytes " + "in the ring",
                    type, offset, length, avail));
        }
        byte[] bytes = copyOut(r, length);
        pages.setIntRelease(READ_INDEX, (r + length + TRAILER) % dataSize);
        return Optional.of(new Packet(type, flags, transactionId, bytes, offset));
    }

    /**
     * Host as reader: asks the guest not to signal its writes ({@code masked}) while the host drains the ring, as
     * Linux's hv_begin_read/hv_end_read do for the guest's own reads. Unmasked again before the host stops reading,
     * the host must look once more: a guest that wrote after the last read saw the mask and did not signal.
     */
    public void maskWriterSignals(boolean masked) {
        pages.setIntRelease(INTERRUPT_MASK, masked ? 1 : 0);
        VarHandle.fullFence();
    }

    /** Host as reader: whether the guest has written nothing the host has not read yet. */
    public boolean isEmpty() {
        VarHandle.fullFence();
        return index(WRITE_INDEX, "write") == index(READ_INDEX, "read");
    }

    /** Outcome of a host write: whether it fit, and whether the guest must be interrupted to notice it. */
    public enum WriteResult {
        WRITTEN,
        WRITTEN_SIGNAL,
        FULL
    }

    /**
     * Host as writer: appends a packet of {@code type} with {@code headers} (between descriptor and data, a multiple
     * of 8 bytes) and {@code data}. FULL leaves the ring untouched: the caller waits for the guest to make room.
     */
    public WriteResult write(int type, int flags, long transactionId, byte[] headers, byte[] data) {
        if (headers.length % 8 != 0) throw new IllegalArgumentException("packet headers must be 8-byte multiples");
        int offset = DESCRIPTOR + headers.length;
        int length = align8(offset + data.length);
        if (length / 8 > 0xFFFF) throw new IllegalArgumentException("packet too large: " + length);
        int w = index(WRITE_INDEX, "write"), r = index(READ_INDEX, "read");
        int free = r > w ? r - w : dataSize - (w - r);
        // Never fill the ring completely: read == write must keep meaning "empty".
        if (free <= length + TRAILER) {
            writesFull++;
            return WriteResult.FULL;
        }
        // One writer per ring (the device's lock): the staging buffer is reused, so a steady stream of packets
        // allocates nothing.
        if (scratch.capacity() < length + TRAILER) {
            scratch = ByteBuffer.allocate(Math.max(length + TRAILER, 2 * scratch.capacity()))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer p = scratch.clear();
        p.putShort((short) type)
                .putShort((short) (offset / 8))
                .putShort((short) (length / 8))
                .putShort((short) flags)
                .putLong(transactionId)
                .put(headers)
                .put(data);
        while (p.position() < length) p.put((byte) 0);
        p.putLong(length, (long) w << 32);
        copyIn(w, p.array(), length + TRAILER);
        pages.setIntRelease(WRITE_INDEX, (w + length + TRAILER) % dataSize);
        // The same handshake the other way (Linux's hv_end_read clears the mask, full barrier, re-reads the write
        // index): the new write index must be visible before the mask and read index are looked at.
        VarHandle.fullFence();
        // The guest needs an interrupt only if it had drained the ring (it reads until empty) and has not masked us.
        boolean masked = pages.getIntAcquire(INTERRUPT_MASK) != 0, unread = pages.getIntAcquire(READ_INDEX) != w;
        if (masked) writesMasked++;
        else if (unread) writesUnread++;
        else writesSignalled++;
        return masked || unread ? WriteResult.WRITTEN : WriteResult.WRITTEN_SIGNAL;
    }

    /** The host's writes so far: how many, how many interrupted the guest, and why the others did not. */
    public String writeStatistics() {
        return (writesSignalled + writesMasked + writesUnread) + " writes: " + writesSignalled + " signalled, "
                + writesMasked + " masked, " + writesUnread + " behind unread packets, " + writesFull
                + " found it full";
    }

    /**
     * Host as writer of a full ring: asks the guest to signal once it has read enough for {@code bytes} to fit (the
     * pending-send size Linux checks after reading); 0 withdraws the request.
     */
    public void requestSpace(int bytes) {
        pages.setIntRelease(PENDING_SEND_SIZE, bytes);
    }

    /** Free space the guest (as writer) would see now. */
    public int writerFreeSpace() {
        int w = index(WRITE_INDEX, "write"), r = index(READ_INDEX, "read");
        return r > w ? r - w : dataSize - (w - r);
    }

    /**
     * After the host read packets from the guest's outbound ring: should the guest be signalled because it is waiting
     * for room? True when it asked (pending-send size, with the feature bit) and the space now exceeds its need.
     */
    public boolean guestWaitsAndHasRoom(int freeBeforeRead) {
        if ((pages.getIntAcquire(FEATURE_BITS) & FEATURE_PENDING_SEND_SIZE) == 0) return false;
        int pending = pages.getIntAcquire(PENDING_SEND_SIZE);
        if (pending == 0) return false;
        int free = writerFreeSpace();
        return freeBeforeRead <= pending && free > pending;
    }

    private int index(int field, String name) {
        int v = pages.getIntAcquire(field);
        if (v < 0 || v >= dataSize || (v & 7) != 0) {
            throw new RingCorruptException(
                    name + " index " + Integer.toUnsignedString(v) + " invalid for a " + dataSize + "-byte ring");
        }
        return v;
    }

    private byte[] copyOut(int at, int len) {
        byte[] out = new byte[len];
        int first = Math.min(len, dataSize - at);
        pages.read(CONTROL + at, out, 0, first);
        if (first < len) pages.read(CONTROL, out, first, len - first);
        return out;
    }

    private void copyIn(int at, byte[] src, int len) {
        int first = Math.min(len, dataSize - at);
        pages.write(CONTROL + at, src, 0, first);
        if (first < len) pages.write(CONTROL, src, first, len - first);
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
