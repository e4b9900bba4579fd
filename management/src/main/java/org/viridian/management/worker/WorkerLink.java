package org.viridian.management.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One side of a service ↔ worker connection: frames out (whole, one sender at a time) and in (only those this side may
 * receive, {@code incoming}).
 */
final class WorkerLink<I extends WorkerMessage> implements AutoCloseable {
    private final SocketChannel channel;
    private final Class<I> incoming;

    WorkerLink(SocketChannel channel, Class<I> incoming) {
        this.channel = channel;
        this.incoming = incoming;
    }

    void send(WorkerMessage m) throws IOException {
        ByteBuffer b = FrameCodec.encode(m);
        synchronized (this) {
            while (b.hasRemaining()) channel.write(b);
        }
    }

    /** The next message; ProtocolException for a refused frame (recoverable: the next one can be read). */
    I receive() throws IOException, ProtocolException {
        return FrameCodec.parse(FrameCodec.readFrame(channel), incoming);
    }

    SocketChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a socket that is gone already
        }
    }
}
