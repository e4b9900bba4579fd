package org.viridian.vmbus.server;

/**
 * VMBus channel-management message types (the first u32 of every message's 8-byte header), as the guest's hv_vmbus
 * and Hyper-V exchange them over the SynIC message path.
 */
public final class ChannelMessage {
    private ChannelMessage() {}

    public static final int OFFER_CHANNEL = 1, RESCIND_CHANNEL_OFFER = 2, REQUEST_OFFERS = 3, ALL_OFFERS_DELIVERED = 4,
            OPEN_CHANNEL = 5, OPEN_CHANNEL_RESULT = 6, CLOSE_CHANNEL = 7, GPADL_HEADER = 8, GPADL_BODY = 9,
            GPADL_CREATED = 10, GPADL_TEARDOWN = 11, GPADL_TORNDOWN = 12, RELID_RELEASED = 13, INITIATE_CONTACT = 14,
            VERSION_RESPONSE = 15, UNLOAD = 16, UNLOAD_RESPONSE = 17;

    /** Versions (major << 16 | minor), newest first: every one a current Linux proposes, down to Windows Server 2008. */
    public static final int[] VERSIONS = {0x50003, 0x50002, 0x50001, 0x50000, 0x40001, 0x40000, 0x30003, 0x20004, 0x10001, 0x0000D};
    public static final int VERSION_WIN10_V5 = 0x50000;

    /** The message connection for INITIATE_CONTACT before 5.0 (and what Viridian hands out from 5.0 on), and from 5.0. */
    public static final int CONNECTION_ID = 1, CONNECTION_ID_4 = 4;
    /** Where messages go when the guest does not say (before 5.0): SINT 2. */
    public static final int DEFAULT_SINT = 2;
    /** The SynIC message type VMBus uses in both directions. */
    public static final int SYNIC_MESSAGE_TYPE = 1;
}
