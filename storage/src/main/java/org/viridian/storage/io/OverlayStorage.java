package org.viridian.storage.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * A read-only view of a file with some 4 KiB pages replaced in memory: how a read-only open sees a VHDX whose
 * log has not been replayed on disk.
 */
public final class OverlayStorage implements Storage {
    public static final int PAGE = 4096;
    private final Storage base;
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private long size;

    public OverlayStorage(Storage base) throws IOException {
        this.base = base;
        this.size = base.size();
    }

    /** Replaces bytes at a page-aligned offset (whole pages). */
    public void put(long offset, byte[] page) {
        pages.put(offset, page.clone());
        size = Math.max(size, offset + PAGE);
    }

    @Override
    public void read(ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            long page = position / PAGE * PAGE;
            int in = (int) (position - page);
            int n = Math.min(dst.remaining(), PAGE - in);
            byte[] p = pages.get(page);
            ByteBuffer part = dst.slice(dst.position(), n);
            if (p != null) part.put(p, in, n);
            else base.read(part, position);
            dst.position(dst.position() + n);
            position += n;
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        throw new IOException(name() + ": read-only");
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void setSize(long newSize) {
        size = Math.max(size, newSize);
    }

    @Override
    public void flush() {}

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public String name() {
        return base.name();
    }

    @Override
    public void close() throws IOException {
        base.close();
    }

    public Map<Long, byte[]> pages() {
        return pages;
    }
}
