package org.viridian.vmbus.server;

import java.util.UUID;

/**
 * A device provider (VSP) on VMBus: what it offers, and what happens when the guest's driver opens and closes the
 * channel. Callbacks run on the VP thread that posted the message: they must not block.
 */
public interface VmbusDevice {
    UUID classId();

    UUID instanceId();

    /** The guest opened the channel; the rings are validated views of the guest's GPADL. */
    void opened(OpenChannel channel);

    void closed();

    /** The guest signalled the channel (HvSignalEvent on the offer's connection id). */
    default void guestSignalled() {}
}
