package org.viridian.vmbus.protocol;

/**
 * VMBus channel-management message types (enum vmbus_channel_message_type), the first u32 of every message, each with
 * the record that carries it and its size.
 */
public enum MessageType {
    OFFER_CHANNEL(1, 196, OfferChannel.class),
    RESCIND_CHANNEL_OFFER(2, 12, RescindChannelOffer.class),
    REQUEST_OFFERS(3, 8, RequestOffers.class),
    ALL_OFFERS_DELIVERED(4, 8, AllOffersDelivered.class),
    OPEN_CHANNEL(5, 148, OpenChannelRequest.class),
    OPEN_CHANNEL_RESULT(6, 20, OpenChannelResult.class),
    CLOSE_CHANNEL(7, 12, CloseChannel.class),
    GPADL_HEADER(8, 28, GpadlHeader.class),
    GPADL_BODY(9, 16, GpadlBody.class),
    GPADL_CREATED(10, 20, GpadlCreated.class),
    GPADL_TEARDOWN(11, 16, GpadlTeardown.class),
    GPADL_TORNDOWN(12, 12, GpadlTorndown.class),
    RELID_RELEASED(13, 12, RelidReleased.class),
    INITIATE_CONTACT(14, 40, InitiateContact.class),
    VERSION_RESPONSE(15, 16, VersionResponse.class),
    UNLOAD(16, 8, Unload.class),
    UNLOAD_RESPONSE(17, 8, UnloadResponse.class);
    private final int code, size;
    private final Class<? extends VmbusMessage> record;

    /** {@code size}: the Linux struct's size (for the GPADL messages, without their page numbers). */
    MessageType(int code, int size, Class<? extends VmbusMessage> record) {
        this.code = code;
        this.size = size;
        this.record = record;
    }

    public int size() {
        return size;
    }

    public int code() {
        return code;
    }

    public static MessageType of(int code) throws ProtocolException {
        for (MessageType t : values()) if (t.code == code) return t;
        throw new ProtocolException("message type " + Integer.toUnsignedString(code) + " is not handled");
    }

    static MessageType of(Class<? extends VmbusMessage> record) {
        for (MessageType t : values()) if (t.record == record) return t;
        throw new IllegalArgumentException(record + " is no channel message");
    }
}
