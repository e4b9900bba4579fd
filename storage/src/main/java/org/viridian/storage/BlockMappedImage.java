package org.viridian.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.viridian.storage.io.Storage;

/**
 * Base of the formats that map the disk in fixed-size blocks (VHD, VHDX, qcow2 clusters, VMDK grains):
 * splits requests at block boundaries and provides the reader/writer locking. Subclasses handle one block.
 */
public abstract class BlockMappedImage implements DiskImage {
    protected final Storage storage;
    protected final OpenOptions options;
    protected final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    protected final List<String> problems = new ArrayList<>();
    protected DiskImage parent;
    private boolean closed;

    protected BlockMappedImage(Storage storage, OpenOptions options) {
        this.storage = storage;
        this.options = options;
    }

    /** Block size in bytes (a power of two). */
    protected abstract long blockBytes();

    protected abstract void readInBlock(long block, int offset, ByteBuffer dst) throws IOException;

    protected abstract void writeInBlock(long block, int offset, ByteBuffer src) throws IOException;

    /** Whether the block may hold non-zero data (through the parent chain). */
    protected boolean blockMayHaveData(long block) throws IOException {
        return true;
    }

    /**
     * Where the block's bytes lie in the file exactly as the disk shows them (this file's, uncompressed, whole), or -1.
     * Reads of consecutive blocks stored one after another then go to the file as one request.
     */
    protected long plainOffset(long block) throws IOException {
        return -1;
    }

    /**
     * For {@link #allocateExtent}: the file offset of the block's bytes, allocating the block first if a write would,
     * or -1 when the block cannot be written in place this way (a differencing block, say). Under the write lock.
     */
    protected long allocatePlain(long block) throws IOException {
        return -1;
    }

    @Override
    public FileExtent fileExtent(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (storage.file() == null || length == 0) return null;
        long bs = blockBytes();
        lock.readLock().lock();
        try {
            ensureOpen();
            long block = offset / bs, start = plainOffset(block);
            if (start < 0) return null;
            start += offset % bs;
            long n = Math.min(length, bs - offset % bs);
            while (n < length && plainOffset(++block) == start + n) n += Math.min(length - n, bs);
            return new FileExtent(storage.file(), start, n);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public FileExtent allocateExtent(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (readOnly() || storage.file() == null || length == 0) return null;
        long bs = blockBytes();
        lock.writeLock().lock();
        try {
            ensureOpen();
            long at = allocatePlain(offset / bs);
            return at < 0 ? null : new FileExtent(storage.file(), at + offset % bs, Math.min(length, bs - offset % bs));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether this file itself (not its parent) decides the block's content. */
    protected boolean blockOwned(long block) throws IOException {
        return true;
    }

    @Override
    public boolean ownsRange(long offset, long length) throws IOException {
        long bs = blockBytes();
        lock.readLock().lock();
        try {
            for (long b = offset / bs; b <= (offset + Math.max(length, 1) - 1) / bs; b++)
                if (blockOwned(b)) return true;
            return false;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Called once after the data writes of a flush are durable, under the write lock. */
    protected void flushMetadata() throws IOException {}

    @FunctionalInterface
    private interface BlockOp {
        void apply(long block, int offset, ByteBuffer part) throws IOException;
    }

    private void forEachBlock(ByteBuffer buf, long offset, BlockOp op) throws IOException {
        long bs = blockBytes();
        int pos = buf.position();
        int end = buf.limit();
        while (pos < end) {
            long block = offset / bs;
            int in = (int) (offset % bs);
            int n = (int) Math.min(end - pos, bs - in);
            op.apply(block, in, buf.slice(pos, n));
            pos += n;
            offset += n;
        }
        buf.position(end);
    }

    /** As forEachBlock with readInBlock, but runs of blocks stored contiguously in the file are read at once. */
    private void readCoalesced(ByteBuffer buf, long offset) throws IOException {
        long bs = blockBytes();
        int pos = buf.position(), end = buf.limit();
        int runPos = pos, runLen = 0;
        long runAt = -1;
        while (pos < end) {
            long block = offset / bs;
            int in = (int) (offset % bs);
            int n = (int) Math.min(end - pos, bs - in);
            long plain = plainOffset(block);
            if (plain >= 0 && runLen > 0 && runAt + runLen == plain + in) {
                runLen += n;
            } else {
                if (runLen > 0) storage.read(buf.slice(runPos, runLen), runAt);
                runLen = 0;
                if (plain >= 0) {
                    runPos = pos;
                    runAt = plain + in;
                    runLen = n;
                } else {
                    readInBlock(block, in, buf.slice(pos, n));
                }
            }
            pos += n;
            offset += n;
        }
        if (runLen > 0) storage.read(buf.slice(runPos, runLen), runAt);
        buf.position(end);
    }

    @Override
    public boolean readOnly() {
        return storage.readOnly();
    }

    @Override
    public void read(ByteBuffer dst, long offset) throws IOException {
        checkRange(offset, dst.remaining());
        lock.readLock().lock();
        try {
            ensureOpen();
            readCoalesced(dst, offset);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        if (readOnly()) throw new IOException(storage.name() + ": image is open read-only");
        checkRange(offset, src.remaining());
        lock.writeLock().lock();
        try {
            ensureOpen();
            forEachBlock(src, offset, this::writeInBlock);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public void flush() throws IOException {
        if (readOnly()) return;
        lock.writeLock().lock();
        try {
            ensureOpen();
            storage.flush();
            flushMetadata();
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean mayHaveData(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (length == 0) return false;
        long bs = blockBytes();
        lock.readLock().lock();
        try {
            for (long b = offset / bs; b <= (offset + length - 1) / bs; b++) if (blockMayHaveData(b)) return true;
            return false;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Reads from the parent, or zeros when there is none. */
    protected void readParent(long diskOffset, ByteBuffer dst) throws IOException {
        if (parent == null) {
            fillZero(dst);
        } else {
            parent.read(dst.duplicate(), diskOffset);
        }
    }

    protected static void fillZero(ByteBuffer dst) {
        ByteBuffer d = dst.duplicate();
        org.viridian.storage.io.Bytes.fillZero(d);
    }

    /** In tolerant mode records the problem; otherwise fails with it. */
    protected void problem(String message) throws CorruptImageException {
        if (!options.tolerant()) throw new CorruptImageException(message);
        problems.add(message);
    }

    @Override
    public Optional<DiskImage> parent() {
        return Optional.ofNullable(parent);
    }

    @Override
    public List<String> problems() throws IOException {
        return List.copyOf(problems);
    }

    private void ensureOpen() throws IOException {
        if (closed) throw new IOException(storage.name() + ": image is closed");
    }

    /** Format-specific work before the file is closed (a clean-shutdown mark, say). */
    protected void beforeClose() throws IOException {}

    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) return;
            try {
                if (!readOnly()) beforeClose();
            } finally {
                closed = true;
                try {
                    storage.close();
                } finally {
                    if (parent != null) parent.close();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
