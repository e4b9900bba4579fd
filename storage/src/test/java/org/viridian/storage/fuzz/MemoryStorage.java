package org.viridian.storage.fuzz;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.viridian.storage.io.Storage;

/**
 * An image file in memory, sparse by 4 KiB page, for fuzzing: the formats read and write it like a file, and the
 * fuzzer's bytes never touch the disk. Growing it past {@link #MAX_SIZE} fails like a full file system would.
 */
final class MemoryStorage implements Storage {
    static final long MAX_SIZE = 1L << 44;
    private static final int PAGE = 4096;
    private final Map<Long, byte[]> pages = new HashMap<>();
    private final boolean readOnly;
    private long size;

    MemoryStorage(long size, boolean readOnly) {
        this.size = size;
        this.readOnly = readOnly;
    }

    /** Puts bytes at a position without the read-only check (building the image). */
    void load(long position, byte[] src, int off, int len) {
        for (int i = 0; i < len; ) {
            long at = position + i;
            byte[] page = pages.computeIfAbsent(at / PAGE, k -> new byte[PAGE]);
            int in = (int) (at % PAGE), n = Math.min(len - i, PAGE - in);
            System.arraycopy(src, off + i, page, in, n);
            i += n;
        }
        size = Math.max(size, position + len);
    }

    @Override
    public void read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) throw new IOException("negative file position " + position);
        while (dst.hasRemaining()) {
            int in = (int) (position % PAGE), n = Math.min(dst.remaining(), PAGE - in);
            byte[] page = position < size ? pages.get(position / PAGE) : null;
            if (page == null) {
                for (int i = 0; i < n; i++) dst.put((byte) 0);
            } else {
                int valid = (int) Math.max(0, Math.min(n, size - position));
                dst.put(page, in, valid);
                for (int i = valid; i < n; i++) dst.put((byte) 0);
            }
            position += n;
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        if (readOnly) throw new IOException("read-only");
        if (position < 0 || position > MAX_SIZE - src.remaining())
            throw new IOException("file position " + position + " beyond the fuzzing file size limit");
        byte[] b = new byte[src.remaining()];
        src.get(b);
        load(position, b, 0, b.length);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void setSize(long newSize) throws IOException {
        if (readOnly) throw new IOException("read-only");
        if (newSize < 0 || newSize > MAX_SIZE)
            throw new IOException("file size " + newSize + " beyond the fuzzing file size limit");
        if (newSize < size) {
            pages.keySet().removeIf(p -> p * PAGE >= newSize);
            byte[] last = pages.get(newSize / PAGE);
            if (last != null) java.util.Arrays.fill(last, (int) (newSize % PAGE), PAGE, (byte) 0);
        }
        size = newSize;
    }

    @Override
    public void flush() {}

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return "fuzz-image";
    }

    @Override
    public void close() {}
}
