package org.viridian.devices.input;

import static java.lang.System.Logger.Level.WARNING;

import java.util.UUID;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.ring.Packet;

/**
 * What the keyboard and the mouse share: an instance GUID, a negotiated-or-not state per opening, messages sent as
 * in-band packets, and a count of the guest's messages refused (malformed, unknown, out of order) that leaves the
 * channel open: a bad input message costs the guest only that message.
 */
abstract class InputDevice extends ChannelDevice {
    /**
     * The negotiated state (whether the guest's driver finished its handshake) as one byte; messages under way are
     * in the rings, in guest memory.
     */
    @Override
    protected final byte[] saveState() {
        return new byte[] {(byte) (ready ? 1 : 0)};
    }

    /** After a restore: ready as saved, so input reaches a driver that negotiated before the save. */
    @Override
    protected final void onRestore(byte[] state) {
        if (state.length != 1 || (state[0] & ~1) != 0)
            throw new IllegalArgumentException(getClass().getSimpleName() + ": saved state is malformed");
        ready = state[0] == 1;
    }

    private static final System.Logger LOG = System.getLogger(InputDevice.class.getName());
    private final UUID instance;
    private boolean ready;
    private long refused, delivered;

    InputDevice(String name, UUID instance) {
        super(name, 64);
        this.instance = instance;
    }

    @Override
    public final UUID instanceId() {
        return instance;
    }

    @Override
    protected final void onOpen() {
        ready = false;
    }

    @Override
    protected final void onClosed() {
        ready = false;
    }

    /** A protocol's parser: the message an in-band packet's payload holds. */
    @FunctionalInterface
    interface Parser<M> {
        M parse(byte[] payload) throws org.viridian.vmbus.protocol.ProtocolException;
    }

    /** The packet's message, or null after refusing it (not in-band, or malformed): the channel stays open. */
    final <M> M parsed(Packet p, Parser<M> parser) {
        if (p.type() != Packet.DATA_INBAND) {
            refuse("packet type " + p.type());
            return null;
        }
        try {
            return parser.parse(p.data());
        } catch (org.viridian.vmbus.protocol.ProtocolException e) {
            refuse(e.getMessage());
            return null;
        }
    }

    /** Whether the guest's driver finished its handshake, so input reaches it. */
    public final synchronized boolean ready() {
        return ready;
    }

    final void ready(boolean r) {
        ready = r;
    }

    /** Messages from the guest refused since the device was created. */
    public final synchronized long refused() {
        return refused;
    }

    /** Input events delivered to the guest since the device was created. */
    public final synchronized long delivered() {
        return delivered;
    }

    final void refuse(String why) {
        refused++;
        // A guest that floods bad messages gets its first few and then every power of two logged, not all.
        if (refused <= 8 || Long.bitCount(refused) == 1)
            LOG.log(WARNING, getClass().getSimpleName() + ": refused " + why + " (" + refused + " refused)");
    }

    final boolean sendInBand(byte[] data) {
        return send(Packet.DATA_INBAND, 0, 0, data);
    }

    /** An input event for a ready guest; false (and nothing sent) when its driver is not ready. */
    final synchronized boolean deliver(byte[] data) {
        if (!ready || !sendInBand(data)) return false;
        delivered++;
        return true;
    }
}
