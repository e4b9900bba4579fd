package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;

/**
 * Where a virtual network adapter's frames go and come from (a TAP device, a virtual switch port, a test loop). The
 * adapter transmits the guest's frames through {@link #transmit} and gets frames for the guest through the
 * {@link Receiver} it attaches. Frames are whole Ethernet frames without FCS. Buffers are lent for the duration of a
 * call only, so neither side allocates per frame.
 *
 * <p>A port that {@link #offloads()} takes frames whose transport checksum is still to be filled in, or TCP sends
 * larger than the MTU still to be cut into segments, described by a {@link TxOffload}; the adapter offers the guest
 * those offloads only then. Any other port gets complete frames only.
 */
public interface NetworkPort extends AutoCloseable {
    /**
     * Sends one frame from the guest (position to limit). Called on the adapter's pump thread, which holds up the
     * guest's other frames meanwhile: it must not block for long; a port that cannot take the frame now drops it.
     */
    void transmit(ByteBuffer frame);

    /**
     * Sends one frame that may need its checksum filled in or its segments cut ({@code offload}, a {@link TxOffload};
     * {@link TxOffload#NONE} for a complete frame). Only a port that {@link #offloads()} gets anything but NONE.
     */
    default void transmit(ByteBuffer frame, long offload) {
        if (offload != TxOffload.NONE) {
            throw new IllegalArgumentException("this port takes complete frames only: " + TxOffload.toString(offload));
        }
        transmit(frame);
    }

    /** Whether {@link #transmit(ByteBuffer, long)} takes checksum and TCP segmentation requests. */
    default boolean offloads() {
        return false;
    }

    /** Starts handing frames for the guest to {@code receiver}, on the port's own thread. One receiver per port. */
    void attach(Receiver receiver);

    /** Stops delivering and releases the port's resources. */
    @Override
    void close();

    /** The adapter's side of a port. */
    interface Receiver {
        /** One frame for the guest (position to limit), valid during the call only. */
        void receive(ByteBuffer frame);

        /**
         * One frame whose IP and TCP/UDP checksums the host has already verified ({@code checksumsVerified}), so the
         * guest may skip doing it again.
         */
        default void receive(ByteBuffer frame, boolean checksumsVerified) {
            receive(frame);
        }

        /** The port's link went up or down (a TAP device's carrier, a switch port's state). */
        default void linkChanged(boolean up) {}
    }
}
