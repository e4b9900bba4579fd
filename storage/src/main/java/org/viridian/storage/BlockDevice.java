package org.viridian.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk as a flat array of bytes. Reads and writes are positional and transfer the buffer's
 * remaining bytes completely. Implementations allow concurrent readers; writes are serialized internally.
 * For asynchronous use wrap it in {@link AsyncBlockDevice}.
 */
public interface BlockDevice extends AutoCloseable {
    /** Virtual size in bytes. */
    long size();

    boolean readOnly();

    /** Fills {@code dst} (all remaining bytes) with the disk content at {@code offset}. */
    void read(ByteBuffer dst, long offset) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code offset}. */
    void write(ByteBuffer src, long offset) throws IOException;

    /** Makes every completed write durable. */
    void flush() throws IOException;

    /** Hints that a range is no longer needed; afterwards it reads as zeros or keeps its old content. */
    default void discard(long offset, long length) throws IOException {
        checkRange(offset, length);
    }

    /**
     * Whether the range may hold non-zero data. {@code false} is a promise that it reads as zeros, which lets
     * copies skip it; the default answers {@code true}.
     */
    default boolean mayHaveData(long offset, long length) throws IOException {
        return true;
    }

    /**
     * Where the disk's bytes from {@code offset} lie unchanged in a file, for up to {@code length} bytes as far as they
     * do so contiguously; null when the byte at {@code offset} does not (unallocated, compressed, a parent's) or the
     * device cannot say. Lets a copy move data from file to file inside the kernel. The default cannot say.
     */
    default FileExtent fileExtent(long offset, long length) throws IOException {
        return null;
    }

    /**
     * For filling a new image nobody uses yet (a conversion): makes [offset, offset+length) writable in place,
     * allocating as a write there would, and returns where it lies in the file, for up to {@code length} bytes as far
     * as contiguous; null when the device cannot (then the caller writes normally). Unlike a write, allocation metadata
     * may reach the file before the data does, so a crash can leave zeros where data was meant to go: only for a file
     * that is published (renamed into place) once complete. The default cannot.
     */
    default FileExtent allocateExtent(long offset, long length) throws IOException {
        return null;
    }

    @Override
    void close() throws IOException;

    /** Rejects ranges outside the disk, with a message a user can act on. */
    default void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new IllegalArgumentException(
                    "range [" + offset + ", +" + length + ") is outside the disk (size " + size() + ")");
        }
    }
}
