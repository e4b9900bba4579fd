package org.viridian.devices.scsi;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The data buffer of one command: host views of the initiator's memory in order (for a guest, slices of its RAM that
 * were checked to lie inside it), so disk reads land in the guest's pages and writes leave from them without a copy.
 */
public final class ScsiData {
    public static final ScsiData NONE = new ScsiData(List.of());
    private final List<MemorySegment> parts;
    private final long length;

    public ScsiData(List<MemorySegment> parts) {
        this.parts = List.copyOf(parts);
        this.length = parts.stream().mapToLong(MemorySegment::byteSize).sum();
    }

    public static ScsiData of(byte[] heap) {
        return new ScsiData(List.of(MemorySegment.ofArray(heap)));
    }

    public long length() {
        return length;
    }

    /** The buffer's bytes [offset, offset+count) as byte buffers onto the memory itself, in order. */
    public List<ByteBuffer> buffers(long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > length) {
            throw new IllegalArgumentException("[" + offset + ", +" + count + ") outside a " + length + "-byte buffer");
        }
        List<ByteBuffer> out = new ArrayList<>();
        for (MemorySegment p : parts) {
            long size = p.byteSize();
            if (count > 0 && offset < size) {
                long n = Math.min(size - offset, count);
                out.add(p.asSlice(offset, n).asByteBuffer());
                count -= n;
                offset = 0;
            } else {
                offset -= size;
            }
        }
        return out;
    }

    /** Copies up to the buffer's length of {@code src} in (a command's reply); returns the bytes copied. */
    public int put(byte[] src) {
        int n = (int) Math.min(src.length, length), done = 0;
        for (MemorySegment p : parts) {
            if (done == n) break;
            int k = (int) Math.min(p.byteSize(), n - done);
            MemorySegment.copy(src, done, p, ValueLayout.JAVA_BYTE, 0, k);
            done += k;
        }
        return n;
    }

    /** The first {@code count} bytes of the buffer (a parameter list the initiator sent). */
    public byte[] get(int count) {
        byte[] out = new byte[(int) Math.min(count, length)];
        int done = 0;
        for (MemorySegment p : parts) {
            if (done == out.length) break;
            int k = (int) Math.min(p.byteSize(), out.length - done);
            MemorySegment.copy(p, ValueLayout.JAVA_BYTE, 0, out, done, k);
            done += k;
        }
        return out;
    }
}
