package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A port for tests: keeps what the adapter transmits, and hands frames to it on the caller's thread. */
final class CapturePort implements NetworkPort {
    final List<byte[]> transmitted = new CopyOnWriteArrayList<>();
    private Receiver receiver;

    @Override
    public void transmit(ByteBuffer frame) {
        byte[] copy = new byte[frame.remaining()];
        frame.duplicate().get(copy);
        transmitted.add(copy);
    }

    @Override
    public void attach(Receiver r) {
        receiver = r;
    }

    void inject(byte[] frame) {
        receiver.receive(ByteBuffer.wrap(frame));
    }

    void inject(ByteBuffer frame) {
        receiver.receive(frame);
    }

    void link(boolean up) {
        receiver.linkChanged(up);
    }

    @Override
    public void close() {}
}
