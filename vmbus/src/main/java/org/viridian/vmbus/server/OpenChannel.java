package org.viridian.vmbus.server;

import static java.lang.System.Logger.Level.WARNING;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.RingBuffer;

/**
 * An open channel: the ring the guest writes (host reads) and the ring the host writes (guest reads), carved out of the
 * GPADL the guest named at the page offset it named, a way to interrupt the guest for this channel, and a way for the
 * device to give up on it when the guest damaged it ({@link #fail}: the server closes and rescinds that channel only).
 */
public record OpenChannel(
        int relid,
        RingBuffer fromGuest,
        RingBuffer toGuest,
        Runnable signalGuest,
        Consumer<String> onFailure,
        Consumer<VmbusDevice> subChannels,
        IntFunction<GpaPages> gpadls) {
    private static final System.Logger LOG = System.getLogger(OpenChannel.class.getName());

    /** A channel whose failures are only logged (tests and tools that own the rings themselves). */
    public OpenChannel(int relid, RingBuffer fromGuest, RingBuffer toGuest, Runnable signalGuest) {
        this(
                relid,
                fromGuest,
                toGuest,
                signalGuest,
                why -> LOG.log(WARNING, "vmbus: channel " + relid + " failed: " + why));
    }

    /** A channel that cannot have sub-channels. */
    public OpenChannel(
            int relid, RingBuffer fromGuest, RingBuffer toGuest, Runnable signalGuest, Consumer<String> onFailure) {
        this(relid, fromGuest, toGuest, signalGuest, onFailure, d -> {
            throw new UnsupportedOperationException("channel " + relid + " cannot have sub-channels");
        });
    }

    /** A channel whose GPADLs (other than its rings) the device cannot look up. */
    public OpenChannel(
            int relid,
            RingBuffer fromGuest,
            RingBuffer toGuest,
            Runnable signalGuest,
            Consumer<String> onFailure,
            Consumer<VmbusDevice> subChannels) {
        this(relid, fromGuest, toGuest, signalGuest, onFailure, subChannels, id -> null);
    }

    /**
     * A GPADL the guest created on this channel, by handle, as validated pages (e.g. NetVSP's receive and send
     * buffers, which the guest names in a message after creating them); empty when the channel has none by that
     * handle. The lookup is live: a GPADL made after the opening is found, a torn-down one is not.
     */
    public Optional<GpaPages> gpadl(int handle) {
        return Optional.ofNullable(gpadls.apply(handle));
    }

    /**
     * Offers the guest a sub-channel of this (primary) channel, served by {@code device} (multi-queue devices such as
     * storage): same class and instance, the next sub-channel index. The offer goes out shortly, from another thread.
     */
    public void offerSubChannel(VmbusDevice device) {
        subChannels.accept(device);
    }

    /** The guest broke this channel's protocol or rings: stop using it; the server closes and rescinds it. */
    public void fail(String why) {
        onFailure.accept(why);
    }
}
