package org.viridian.storage.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * For filling a brand-new image that nobody uses yet, under a temporary name (convert, compact): the format's write
 * barriers are skipped, and with {@code syncAtClose} one flush happens at close; without, none at all, as qemu-img
 * convert's default cache=unsafe. A crash mid-way leaves a partial file under the temporary name, which is no worse:
 * the operation had not finished, and only a complete file is renamed to the target's name.
 */
public final class DeferredFlushStorage implements Storage {
    private final Storage delegate;
    private final boolean syncAtClose;

    public DeferredFlushStorage(Storage delegate, boolean syncAtClose) {
        this.delegate = delegate;
        this.syncAtClose = syncAtClose;
    }

    @Override
    public void read(ByteBuffer dst, long position) throws IOException {
        delegate.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        delegate.write(src, position);
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public boolean mayHaveData(long position, long length) throws IOException {
        return delegate.mayHaveData(position, length);
    }

    @Override
    public void setSize(long size) throws IOException {
        delegate.setSize(size);
    }

    @Override
    public void flush() {
        // Deferred to close.
    }

    @Override
    public boolean metadataAtClose() {
        return true;
    }

    @Override
    public boolean readOnly() {
        return delegate.readOnly();
    }

    @Override
    public java.nio.file.Path file() {
        return delegate.file();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void close() throws IOException {
        try {
            if (syncAtClose) delegate.flush();
        } finally {
            delegate.close();
        }
    }
}
