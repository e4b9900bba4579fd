package org.viridian.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.viridian.storage.io.Storage;

/**
 * Cuts the power at the N-th write, resize or flush: that operation and everything after fail. Operations
 * since the last completed flush may be lost, as after a real power cut; {@link #powerCut(boolean)} chooses
 * whether they survive or are undone. The interrupted write itself may be torn (half written).
 */
public final class FaultyStorage implements Storage {
    private record Undo(long position, byte[] old, long oldSize) {}

    private final Storage delegate;
    private final int failAt;
    private final boolean tear;
    private final Deque<Undo> sinceFlush = new ArrayDeque<>();
    private int ops;
    private boolean dead;

    public FaultyStorage(Storage delegate, int failAt, boolean tear) {
        this.delegate = delegate;
        this.failAt = failAt;
        this.tear = tear;
    }

    public int operations() {
        return ops;
    }

    public boolean crashed() {
        return dead;
    }

    private void step() throws IOException {
        if (dead) throw new IOException("power cut (already)");
        if (++ops == failAt) {
            dead = true;
            throw new IOException("power cut at operation " + ops);
        }
    }

    @Override
    public void read(ByteBuffer dst, long position) throws IOException {
        if (dead) throw new IOException("power cut");
        delegate.read(dst, position);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        if (!dead && ops + 1 == failAt && tear && src.remaining() > 1) {
            ByteBuffer half = src.slice(src.position(), src.remaining() / 2);
            remember(position, half.remaining());
            delegate.write(half, position);
        }
        step();
        remember(position, src.remaining());
        delegate.write(src, position);
    }

    private void remember(long position, int length) throws IOException {
        byte[] old = new byte[length];
        delegate.read(ByteBuffer.wrap(old), position);
        sinceFlush.push(new Undo(position, old, delegate.size()));
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public void setSize(long size) throws IOException {
        step();
        sinceFlush.push(new Undo(-1, null, delegate.size()));
        delegate.setSize(size);
    }

    @Override
    public void flush() throws IOException {
        step();
        delegate.flush();
        sinceFlush.clear();
    }

    /** After the crash: optionally undo every unflushed change (newest first), then release the file. */
    public void powerCut(boolean loseUnflushed) throws IOException {
        dead = true;
        if (loseUnflushed) {
            while (!sinceFlush.isEmpty()) {
                Undo u = sinceFlush.pop();
                if (u.old != null) delegate.write(ByteBuffer.wrap(u.old), u.position);
                delegate.setSize(u.oldSize);
            }
        }
        delegate.close();
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
        if (!dead) delegate.close();
    }
}
