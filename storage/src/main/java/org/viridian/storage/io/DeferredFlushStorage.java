package org.viridian.storage.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * For filling a brand-new image that nobody uses yet (convert, compact): the format's write barriers are skipped and
 * one flush happens at close, as qemu-img convert does with its default cache=unsafe. A crash mid-way leaves a partial
 * file, which is no worse: the operation had not finished and the caller removes the file.
 */
public final class DeferredFlushStorage implements Storage {
    private final Storage delegate;

    public DeferredFlushStorage(Storage delegate) {
        this.delegate = delegate;
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
    public boolean readOnly() {
        return delegate.readOnly();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void close() throws IOException {
        try {
            delegate.flush();
        } finally {
            delegate.close();
        }
    }
}
