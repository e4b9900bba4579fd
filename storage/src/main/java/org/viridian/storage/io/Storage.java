package org.viridian.storage.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The bytes of an image file. Image formats go through this rather than a FileChannel so that tests can
 * cut the power at any write or flush.
 */
public interface Storage extends Closeable {
    /** Reads {@code dst.remaining()} bytes; bytes past the end of the file read as zeros. */
    void read(ByteBuffer dst, long position) throws IOException;

    void write(ByteBuffer src, long position) throws IOException;

    long size() throws IOException;

    /** False only when the range is known to be a hole of a sparse file (reads as zeros). */
    default boolean mayHaveData(long position, long length) throws IOException {
        return true;
    }

    /** Grows (sparse, reading zeros) or shrinks the file. */
    void setSize(long size) throws IOException;

    void flush() throws IOException;

    boolean readOnly();

    /** The file holding these bytes unchanged, or null when there is none (memory, an overlay). */
    default java.nio.file.Path file() {
        return null;
    }

    /** Creates a new file's storage (image creators take one, so a conversion can create without write barriers). */
    @FunctionalInterface
    interface Creator {
        Storage create(java.nio.file.Path path) throws IOException;
    }

    /**
     * True for a brand-new image filled under a temporary name ({@link DeferredFlushStorage}): a format may keep what
     * it would write on every allocation (a table entry, a moved footer) in memory and write it once, at its flush or
     * close, since only a complete file is ever renamed into place.
     */
    default boolean metadataAtClose() {
        return false;
    }

    /** A name for messages, usually the path. */
    String name();

    default ByteBuffer read(long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        read(b, position);
        return b.flip();
    }
}
