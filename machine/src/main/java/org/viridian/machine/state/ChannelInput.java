package org.viridian.machine.state;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A buffered stream over a file that can also fill off-heap memory straight from the file: a saved state's memory
 * pages go from the page cache into guest memory in one copy, where a {@link java.io.BufferedInputStream} would take
 * them through two heap buffers first (each copy of a large guest's memory is seconds where the CPU is emulated).
 */
final class ChannelInput extends InputStream {
    private final FileChannel ch;
    private final ByteBuffer buf;

    ChannelInput(FileChannel ch, int size) {
        this.ch = ch;
        this.buf = ByteBuffer.allocate(size).flip();
    }

    private boolean fill() throws IOException {
        buf.clear();
        int n;
        do n = ch.read(buf);
        while (n == 0);
        buf.flip();
        return n > 0;
    }

    @Override
    public int read() throws IOException {
        if (!buf.hasRemaining() && !fill()) return -1;
        return buf.get() & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!buf.hasRemaining()) {
            // A read at least the buffer's size goes straight to the caller's array.
            if (len >= buf.capacity()) return ch.read(ByteBuffer.wrap(b, off, len));
            if (!fill()) return -1;
        }
        int n = Math.min(len, buf.remaining());
        buf.get(b, off, n);
        return n;
    }

    /** Fills {@code into} whole: what is buffered first, the rest read from the file into it directly. */
    void readFully(MemorySegment into) throws IOException {
        long size = into.byteSize();
        int buffered = (int) Math.min(size, buf.remaining());
        MemorySegment.copy(MemorySegment.ofBuffer(buf), 0, into, 0, buffered);
        buf.position(buf.position() + buffered);
        ByteBuffer rest = into.asSlice(buffered).asByteBuffer();
        while (rest.hasRemaining()) if (ch.read(rest) < 0) throw new EOFException();
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
