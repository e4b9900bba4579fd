package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;

/**
 * Where a virtual network adapter's frames go and come from (a TAP device, a virtual switch port, a test loop). The
 * adapter transmits the guest's frames through {@link #transmit} and gets frames for the guest through the
 * {@link Receiver} it attaches. Frames are whole Ethernet frames without FCS. Buffers are lent for the duration of a
 * call only, so neither side allocates per frame.
 */
public interface NetworkPort extends AutoCloseable {
    /**
     * Sends one frame from the guest (position to limit). Called on the adapter's pump thread, which holds up the
     * guest's other frames meanwhile: it must not block for long; a port that cannot take the frame now drops it.
     */
    void transmit(ByteBuffer frame);

    /** Starts handing frames for the guest to {@code receiver}, on the port's own thread. One receiver per port. */
    void attach(Receiver receiver);

    /** Stops delivering and releases the port's resources. */
    @Override
    void close();

    /** The adapter's side of a port. */
    interface Receiver {
        /** One frame for the guest (position to limit), valid during the call only. */
        void receive(ByteBuffer frame);

        /** The port's link went up or down (a TAP device's carrier, a switch port's state). */
        default void linkChanged(boolean up) {}
    }
}
