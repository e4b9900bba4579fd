package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/**
 * A VMBus channel-management message as it travels in a SynIC message's payload (Linux: drivers/hv/channel_mgmt.c,
 * include/linux/hyperv.h): an 8-byte header (type, padding), then the message's own fields. The server switches over
 * {@link FromGuest}; it writes {@link FromHost}.
 */
public sealed interface VmbusMessage permits VmbusMessage.FromGuest, VmbusMessage.FromHost, VmbusMessage.HeaderOnly {
    /** struct vmbus_channel_message_header: msgtype u32, padding u32. */
    int HEADER = 8;

    sealed interface FromGuest extends VmbusMessage
            permits InitiateContact,
                    RequestOffers,
                    OpenChannelRequest,
                    CloseChannel,
                    GpadlHeader,
                    GpadlBody,
                    GpadlTeardown,
                    RelidReleased,
                    Unload {}

    sealed interface FromHost extends VmbusMessage
            permits VersionResponse,
                    OfferChannel,
                    AllOffersDelivered,
                    RescindChannelOffer,
                    OpenChannelResult,
                    GpadlCreated,
                    GpadlTorndown,
                    UnloadResponse {}

    /** A message that is its header alone. */
    sealed interface HeaderOnly extends VmbusMessage permits RequestOffers, AllOffersDelivered, Unload, UnloadResponse {
        @Override
        default void writeTo(ByteBuffer b) {
            header(b, this);
        }
    }

    default MessageType type() {
        return MessageType.of(getClass());
    }

    /** Bytes {@link #writeTo} writes: the struct's size unless the message carries a list. */
    default int size() {
        return type().size();
    }

    /** Writes the message at {@code b}'s position and moves past it. */
    void writeTo(ByteBuffer b);

    default byte[] toBytes() {
        return Wire.bytes(size(), this::writeTo);
    }

    /** Any channel message, by the type in its header. */
    static VmbusMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "VMBus message");
        return switch (MessageType.of(m.getInt(0))) {
            case OFFER_CHANNEL -> OfferChannel.parse(b, size);
            case RESCIND_CHANNEL_OFFER -> RescindChannelOffer.parse(b, size);
            case REQUEST_OFFERS -> RequestOffers.parse(b, size);
            case ALL_OFFERS_DELIVERED -> AllOffersDelivered.parse(b, size);
            case OPEN_CHANNEL -> OpenChannelRequest.parse(b, size);
            case OPEN_CHANNEL_RESULT -> OpenChannelResult.parse(b, size);
            case CLOSE_CHANNEL -> CloseChannel.parse(b, size);
            case GPADL_HEADER -> GpadlHeader.parse(b, size);
            case GPADL_BODY -> GpadlBody.parse(b, size);
            case GPADL_CREATED -> GpadlCreated.parse(b, size);
            case GPADL_TEARDOWN -> GpadlTeardown.parse(b, size);
            case GPADL_TORNDOWN -> GpadlTorndown.parse(b, size);
            case RELID_RELEASED -> RelidReleased.parse(b, size);
            case INITIATE_CONTACT -> InitiateContact.parse(b, size);
            case VERSION_RESPONSE -> VersionResponse.parse(b, size);
            case UNLOAD -> Unload.parse(b, size);
            case UNLOAD_RESPONSE -> UnloadResponse.parse(b, size);
        };
    }

    /** A message the guest sent: host-to-guest types from the guest are a protocol error. */
    static FromGuest parseFromGuest(ByteBuffer b, int size) throws ProtocolException {
        if (parse(b, size) instanceof FromGuest g) return g;
        throw new ProtocolException("the guest sent a host-to-guest message");
    }

    /**
     * Starts writing {@code m}: a little-endian view of its bytes with the header filled in; {@code b} moves past it.
     */
    static ByteBuffer header(ByteBuffer b, VmbusMessage m) {
        ByteBuffer out = b.slice(b.position(), m.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + m.size());
        return out.putInt(0, m.type().code()).putInt(4, 0);
    }
}
