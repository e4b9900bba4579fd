package org.viridian.vmbus.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * A channel offer (CHANNELMSG_OFFERCHANNEL, 196 bytes): the device's class and instance GUIDs in Windows byte order,
 * then the child relative id, monitor fields and the connection id the guest signals the host on.
 */
public record Offer(UUID classId, UUID instanceId, int relid, int connectionId, int subChannelIndex) {
    public Offer(UUID classId, UUID instanceId, int relid, int connectionId) {
        this(classId, instanceId, relid, connectionId, 0);
    }

    static final int SIZE = 196;

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, ChannelMessage.OFFER_CHANNEL);
        putGuid(b, 8, classId);
        putGuid(b, 24, instanceId);
        // interrupt latency, interface revision, flags, MMIO size, 120 user-defined bytes: all 0.
        b.putShort(180, (short) subChannelIndex); // 0: a primary channel; n: sub-channel n of the primary with this instance
        b.putInt(184, relid);
        // monitor id 0, monitor not allocated, no dedicated interrupt: the guest signals with HvSignalEvent.
        b.putInt(192, connectionId);
        return b.array();
    }

    /** GUIDs on the wire: Data1, Data2, Data3 little-endian, then Data4's 8 bytes as they are. */
    static void putGuid(ByteBuffer b, int at, UUID id) {
        long hi = id.getMostSignificantBits(), lo = id.getLeastSignificantBits();
        b.putInt(at, (int) (hi >>> 32)).putShort(at + 4, (short) (hi >>> 16)).putShort(at + 6, (short) hi);
        ByteBuffer.wrap(b.array(), at + 8, 8).order(ByteOrder.BIG_ENDIAN).putLong(lo);
    }
}
