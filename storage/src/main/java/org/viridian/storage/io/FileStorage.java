package org.viridian.storage.io;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * A file with an advisory lock: shared for readers, exclusive for the single writer, so two writers can never
 * open one image (and nobody reads it while it is being written). OS locks are per process, so opens within
 * this JVM are arbitrated by {@link #OPEN}; the OS lock keeps other processes out.
 */
public final class FileStorage implements Storage {
    private final Path path;
    private final RandomAccessFile file;
    private final FileChannel channel;
    private final boolean readOnly;
    private final FileLock lock;
    private final Object key;
    /** Opened on first use: most storages never ask where the holes are. */
    private SparseFile holes;

    private boolean holesTried;
    private boolean closed;
    /** A read-only file's size, read once: the shared lock keeps writers out while it is open. */
    private final long fixedSize;
    /** Per file (device and inode): a positive count of readers, or -1 for the writer. */
    private static final Map<Object, Integer> OPEN = new HashMap<>();

    private FileStorage(Path path, boolean readOnly, boolean create) throws IOException {
        this.path = path;
        this.readOnly = readOnly;
        if (!create && !Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such file");
        if (create && Files.exists(path)) throw new IOException(path + ": file already exists");
        this.file = new RandomAccessFile(path.toFile(), readOnly ? "r" : "rw");
        this.channel = file.getChannel();
        Object k = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        this.key = k != null ? k : path.toRealPath();
        FileLock l = null;
        boolean ours = false;
        try {
            synchronized (OPEN) {
                int users = OPEN.getOrDefault(key, 0);
                if (readOnly ? users >= 0 : users == 0) {
                    try {
                        l = channel.tryLock(0, Long.MAX_VALUE, readOnly);
                        ours = l != null;
                    } catch (OverlappingFileLockException e) {
                        // Another reader in this JVM holds the OS lock on its channel.
                        ours = readOnly && users > 0;
                    }
                }
                if (ours) OPEN.put(key, readOnly ? users + 1 : -1);
            }
        } finally {
            if (!ours) file.close();
        }
        if (!ours)
            throw new IOException(path + ": image is in use ("
                    + (readOnly ? "opened for writing by someone else" : "locked by another reader or writer") + ")");
        this.lock = l;
        this.fixedSize = readOnly ? channel.size() : -1;
    }

    public static FileStorage open(Path path, boolean readOnly) throws IOException {
        return new FileStorage(path, readOnly, false);
    }

    public static FileStorage create(Path path) throws IOException {
        return new FileStorage(path, false, true);
    }

    public Path path() {
        return path;
    }

    @Override
    public Path file() {
        return path;
    }

    @Override
    public void read(ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                while (dst.hasRemaining()) dst.put((byte) 0);
                return;
            }
            position += n;
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        while (src.hasRemaining()) position += channel.write(src, position);
    }

    @Override
    public synchronized boolean mayHaveData(long position, long length) throws IOException {
        if (!holesTried) {
            holesTried = true;
            holes = SparseFile.open(path, readOnly);
        }
        return holes == null || holes.mayHaveData(position, length);
    }

    @Override
    public long size() throws IOException {
        return fixedSize >= 0 ? fixedSize : channel.size();
    }

    @Override
    public void setSize(long size) throws IOException {
        file.setLength(size);
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) channel.force(true);
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public String name() {
        return path.toString();
    }

    @Override
    public void close() throws IOException {
        // Not "is the channel open": an interrupted read or write closes the channel (ClosedByInterruptException), and
        // this must still take the file out of OPEN, or a later file with the same inode would be "in use" for ever.
        synchronized (this) {
            if (closed) return;
            closed = true;
            if (holes != null) holes.close();
            holes = null;
        }
        try {
            if (lock != null && lock.isValid()) lock.release();
        } finally {
            file.close();
            synchronized (OPEN) {
                int users = OPEN.getOrDefault(key, 0);
                if (users > 1) OPEN.put(key, users - 1);
                else OPEN.remove(key);
            }
        }
    }
}
