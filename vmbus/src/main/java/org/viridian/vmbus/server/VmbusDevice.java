package org.viridian.vmbus.server;

import java.util.UUID;

/**
 * A device provider (VSP) on VMBus: what it offers, and what happens when the guest's driver opens and closes the
 * channel. Callbacks run on the VP thread that posted the message: they must not block.
 */
public interface VmbusDevice {
    UUID classId();

    UUID instanceId();

    /** MMIO space (MiB) the guest's driver should set aside for this device; 0 for all but synthetic video. */
    default int mmioMegabytes() {
        return 0;
    }

    /** The guest opened the channel; the rings are validated views of the guest's GPADL. */
    void opened(OpenChannel channel);

    void closed();

    /** The guest signalled the channel (HvSignalEvent on the offer's connection id). */
    default void guestSignalled() {}

    /** This open channel's own protocol state for save/restore (e.g. a negotiated version); empty when it has none. */
    default byte[] save() {
        return new byte[0];
    }

    /** After a restore: the channel is open again on the saved rings with the saved state. By default a fresh open. */
    default void restore(OpenChannel channel, byte[] state) {
        opened(channel);
    }

    /**
     * The VM runs again after a save that left it running (a save refused half-way, or a checkpoint): a device that
     * stopped work for the save ({@code save}) takes it up again. Called for every open channel.
     */
    default void resumed() {}

    /**
     * After a restore, on a primary channel whose own {@link #restore} has run: the device that serves its sub-channel
     * number {@code index} (1..), as offered before the save, so the server can recreate that channel. A device that
     * never offers sub-channels has none to restore.
     */
    default VmbusDevice restoredSubChannel(int index) {
        throw new IllegalArgumentException(getClass().getSimpleName() + " has no sub-channel " + index + " to restore");
    }
}
