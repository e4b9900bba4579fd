package org.viridian.vmbus.protocol;

/** VMBus channel-management message types (enum vmbus_channel_message_type), the first u32 of every message. */
public enum MessageType {
    OFFER_CHANNEL(1), RESCIND_CHANNEL_OFFER(2), REQUEST_OFFERS(3), ALL_OFFERS_DELIVERED(4), OPEN_CHANNEL(5),
    OPEN_CHANNEL_RESULT(6), CLOSE_CHANNEL(7), GPADL_HEADER(8), GPADL_BODY(9), GPADL_CREATED(10), GPADL_TEARDOWN(11),
    GPADL_TORNDOWN(12), RELID_RELEASED(13), INITIATE_CONTACT(14), VERSION_RESPONSE(15), UNLOAD(16),
    UNLOAD_RESPONSE(17);

    private final int code;

    MessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static MessageType of(int code) throws ProtocolException {
        for (MessageType t : values()) if (t.code == code) return t;
        throw new ProtocolException("message type " + Integer.toUnsignedString(code) + " is not handled");
    }
}
