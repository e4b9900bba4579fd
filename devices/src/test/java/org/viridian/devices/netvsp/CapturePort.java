package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A port for tests: keeps what the adapter transmits (and the offload asked for each frame, when it takes offloads),
 * and hands frames to it on the caller's thread.
 */
final class CapturePort implements NetworkPort {
    final List<byte[]> transmitted = new CopyOnWriteArrayList<>();
    final List<Long> offloadsAsked = new CopyOnWriteArrayList<>();
    private final boolean offloads;
    private Receiver receiver;

    CapturePort() {
        this(false);
    }

    CapturePort(boolean offloads) {
        this.offloads = offloads;
    }

    @Override
    public boolean offloads() {
        return offloads;
    }

    @Override
    public void transmit(ByteBuffer frame) {
        transmit(frame, TxOffload.NONE);
    }

    @Override
    public void transmit(ByteBuffer frame, long offload) {
        if (offload != TxOffload.NONE && !offloads) throw new IllegalArgumentException("no offloads here");
        byte[] copy = new byte[frame.remaining()];
        frame.duplicate().get(copy);
        transmitted.add(copy);
        offloadsAsked.add(offload);
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

    /** A frame whose checksums the host verified. */
    void injectVerified(byte[] frame) {
        receiver.receive(ByteBuffer.wrap(frame), true);
    }

    void link(boolean up) {
        receiver.linkChanged(up);
    }

    @Override
    public void close() {}
}
