package org.viridian.devices.netvsp.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One RNDIS message (Linux hyperv_net.h's struct rndis_message: u32 type, u32 length of the whole message, then the
 * type's struct). Offsets inside a message (information buffers, status buffers, a packet's data and per-packet
 * information) count from the start of the type's struct, after the 8-byte header, as Linux and Windows read them.
 * Several messages may follow each other in one buffer (a send section batches up to the host's limit), so
 * {@link #parse} reads one message of the length its header says, which must fit in the bytes given.
 */
public sealed interface RndisMessage {
    /** The type and length before every message's struct. */
    int HEADER = 8;

    RndisMessageType type();

    /** The message's length (its header's msg_len). */
    int size();

    /** Bytes {@link #writeTo} writes: the whole message, except for a packet (its header and struct only). */
    default int written() {
        return size();
    }

    /** Writes the struct after the header into {@code m} (a zeroed view of {@link #written()} bytes from 0). */
    void writeBody(ByteBuffer m);

    /** Writes the message at {@code b}'s position and moves past what it wrote. */
    default void writeTo(ByteBuffer b) {
        ByteBuffer m = b.slice(b.position(), written()).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + written());
        for (int i = 0; i < m.limit(); i++) m.put(i, (byte) 0);
        m.putInt(0, type().code()).putInt(4, size());
        writeBody(m);
    }

    default byte[] toBytes() {
        return Wire.bytes(size(), this::writeTo);
    }

    /** The message at {@code b}'s position (which does not move) within the {@code size} bytes there. */
    static RndisMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer h = Wire.view(b, size, HEADER, "rndis_message");
        int code = h.getInt(0), length = h.getInt(4);
        if (length < HEADER || length > size) {
            throw new ProtocolException(
                    "RNDIS message of " + Integer.toUnsignedString(length) + " bytes in " + size + " bytes");
        }
        RndisMessageType type = RndisMessageType.of(code)
                .orElseThrow(() -> new ProtocolException("unknown RNDIS message type 0x" + Integer.toHexString(code)));
        ByteBuffer m = h.slice(0, length).order(ByteOrder.LITTLE_ENDIAN);
        int body = length - HEADER;
        return switch (type) {
            case PACKET -> Packet.parse(m, body);
            case INITIALIZE -> {
                need(body, 16, type);
                yield new InitializeRequest(m.getInt(8), m.getInt(12), m.getInt(16), m.getInt(20));
            }
            case INITIALIZE_COMPLETE -> {
                need(body, 44, type);
                yield new InitializeComplete(
                        m.getInt(8),
                        m.getInt(12),
                        m.getInt(16),
                        m.getInt(20),
                        m.getInt(24),
                        m.getInt(28),
                        m.getInt(32),
                        m.getInt(36),
                        m.getInt(40),
                        m.getInt(44),
                        m.getInt(48));
            }
            case HALT -> {
                need(body, 4, type);
                yield new HaltRequest(m.getInt(8));
            }
            case QUERY -> {
                need(body, 20, type);
                yield new QueryRequest(m.getInt(8), m.getInt(12), info(m, body, 16, 20, 20, type), m.getInt(24));
            }
            case QUERY_COMPLETE -> {
                need(body, 16, type);
                yield new QueryComplete(m.getInt(8), m.getInt(12), info(m, body, 16, 20, 16, type));
            }
            case SET -> {
                need(body, 20, type);
                yield new SetRequest(m.getInt(8), m.getInt(12), info(m, body, 16, 20, 20, type), m.getInt(24));
            }
            case SET_COMPLETE -> {
                need(body, 8, type);
                yield new SetComplete(m.getInt(8), m.getInt(12));
            }
            case RESET -> {
                need(body, 4, type);
                yield new ResetRequest(m.getInt(8));
            }
            case RESET_COMPLETE -> {
                need(body, 8, type);
                yield new ResetComplete(m.getInt(8), m.getInt(12));
            }
            case INDICATE_STATUS -> {
                need(body, 12, type);
                yield new IndicateStatus(m.getInt(8), info(m, body, 12, 16, 12, type));
            }
            case KEEPALIVE -> {
                need(body, 4, type);
                yield new KeepaliveRequest(m.getInt(8));
            }
            case KEEPALIVE_COMPLETE -> {
                need(body, 8, type);
                yield new KeepaliveComplete(m.getInt(8), m.getInt(12));
            }
        };
    }

    private static void need(int body, int struct, RndisMessageType type) throws ProtocolException {
        if (body < struct) throw new ProtocolException(type + " with " + body + " bytes, its struct needs " + struct);
    }

    /**
     * An information (or status) buffer: length at {@code lengthAt}, offset from the struct at {@code offsetAt}; a
     * non-empty one must start after the struct ({@code minOffset}) and end inside the message.
     */
    private static byte[] info(ByteBuffer m, int body, int lengthAt, int offsetAt, int minOffset, RndisMessageType t)
            throws ProtocolException {
        int length = m.getInt(HEADER + lengthAt - 8), offset = m.getInt(HEADER + offsetAt - 8);
        if (length == 0) return new byte[0];
        if (!inside(offset, length, minOffset, body)) {
            throw new ProtocolException(t + " buffer of " + Integer.toUnsignedString(length) + " bytes at "
                    + Integer.toUnsignedString(offset) + " in a " + body + "-byte struct");
        }
        byte[] bytes = new byte[length];
        m.get(HEADER + offset, bytes);
        return bytes;
    }

    /** Whether [offset, offset+length) lies in [min, body), all unsigned. */
    private static boolean inside(int offset, int length, int min, int body) {
        long o = Integer.toUnsignedLong(offset), l = Integer.toUnsignedLong(length);
        return o >= min && o <= body && l <= body - o;
    }

    /** An information buffer written right after the struct: where it goes and how long it is. */
    private static void putInfo(ByteBuffer m, int lengthAt, int offsetAt, int structSize, byte[] info) {
        m.putInt(HEADER + lengthAt - 8, info.length).putInt(HEADER + offsetAt - 8, structSize);
        m.put(HEADER + structSize, info);
    }

    /**
     * struct rndis_packet: one Ethernet frame ({@code dataLength} bytes at {@code dataOffset}) with optional
     * per-packet information (struct rndis_per_packet_info entries: u32 size, u32 type with bit 31 "internal", u32
     * offset of the value from the entry). Parsing checks every range and walks every entry, copying nothing, so a
     * frame is read in place. {@link #writeTo} writes the header and this struct only: the frame is the caller's.
     */
    record Packet(
            int messageLength,
            int dataOffset,
            int dataLength,
            int oobDataOffset,
            int oobDataLength,
            int oobElementCount,
            int ppiOffset,
            int ppiLength,
            int vcHandle)
            implements RndisMessage {
        /** sizeof(struct rndis_packet). */
        public static final int STRUCT = 36;
        /** The header and the struct: where a host-written frame starts. */
        public static final int FRAME_OFFSET = HEADER + STRUCT;

        public static final int PPI_HEADER = 12;
        /** enum ndis_per_pkt_info_type values hv_netvsc uses. */
        public static final int PPI_CHECKSUM = 0, PPI_LSO = 2, PPI_VLAN = 6, PPI_HASH = 8;

        /** A frame of {@code length} bytes right after the struct, no per-packet information (host to guest). */
        public static Packet forFrame(int length) {
            return new Packet(FRAME_OFFSET + length, STRUCT, length, 0, 0, 0, 0, 0, 0);
        }

        static Packet parse(ByteBuffer m, int body) throws ProtocolException {
            need(body, STRUCT, RndisMessageType.PACKET);
            int dataOffset = m.getInt(8), dataLength = m.getInt(12);
            int oobOffset = m.getInt(16), oobLength = m.getInt(20), oobCount = m.getInt(24);
            int ppiOffset = m.getInt(28), ppiLength = m.getInt(32);
            if (!inside(dataOffset, dataLength, STRUCT, body)) {
                throw new ProtocolException("RNDIS packet data of " + Integer.toUnsignedString(dataLength)
                        + " bytes at " + Integer.toUnsignedString(dataOffset) + " in " + body + " bytes");
            }
            if ((oobLength != 0 || oobCount != 0) && !inside(oobOffset, oobLength, STRUCT, body)) {
                throw new ProtocolException("RNDIS packet out-of-band data of " + Integer.toUnsignedString(oobLength)
                        + " bytes at " + Integer.toUnsignedString(oobOffset));
            }
            if (ppiLength != 0) {
                if (!inside(ppiOffset, ppiLength, STRUCT, body)) {
                    throw new ProtocolException("RNDIS per-packet information of "
                            + Integer.toUnsignedString(ppiLength) + " bytes at " + Integer.toUnsignedString(ppiOffset)
                            + " in " + body + " bytes");
                }
                walk(m, 0, ppiOffset, ppiLength, -1);
            }
            return new Packet(
                    body + HEADER,
                    dataOffset,
                    dataLength,
                    oobOffset,
                    oobLength,
                    oobCount,
                    ppiOffset,
                    ppiLength,
                    m.getInt(36));
        }

        /**
         * Checks the entries in [at, at+length) of the struct and returns where the value of the first entry of
         * {@code type} starts (from the message's start), or -1.
         */
        private static int walk(ByteBuffer m, int base, int at, int length, int type) throws ProtocolException {
            int pos = base + HEADER + at, end = pos + length;
            while (pos < end) {
                if (end - pos < PPI_HEADER) throw new ProtocolException("per-packet information entry cut short");
                int size = m.getInt(pos), offset = m.getInt(pos + 8);
                if (size < PPI_HEADER || size > end - pos) {
                    throw new ProtocolException("per-packet information entry of " + Integer.toUnsignedString(size)
                            + " bytes with " + (end - pos) + " left");
                }
                if (offset < PPI_HEADER || offset > size) {
                    throw new ProtocolException("per-packet information value at " + Integer.toUnsignedString(offset)
                            + " of a " + size + "-byte entry");
                }
                int entryType = m.getInt(pos + 4) & 0x7FFFFFFF;
                // The types NetVSP reads hold a u32: its value must be inside the entry.
                boolean u32 = entryType == PPI_CHECKSUM || entryType == PPI_LSO || entryType == PPI_VLAN;
                if (u32 && size - offset < 4) {
                    throw new ProtocolException("per-packet information of type " + entryType + " without its value");
                }
                if (type >= 0 && entryType == type) return pos + offset;
                pos += size;
            }
            return -1;
        }

        /**
         * Where the value of this packet's per-packet information of {@code type} starts in {@code buffer} (the
         * little-endian bytes this packet was parsed from, its header at {@code messageAt}), or -1 when it has none.
         * Reads in place, allocating nothing.
         */
        public int ppiValueAt(ByteBuffer buffer, int messageAt, int type) {
            if (ppiLength == 0) return -1;
            try {
                return walk(buffer, messageAt, ppiOffset, ppiLength, type);
            } catch (ProtocolException e) {
                throw new IllegalArgumentException("not the bytes this packet was parsed from", e);
            }
        }

        /** Where the frame starts, from the message's header. */
        public int frameAt() {
            return HEADER + dataOffset;
        }

        @Override
        public RndisMessageType type() {
            return RndisMessageType.PACKET;
        }

        @Override
        public int size() {
            return messageLength;
        }

        @Override
        public int written() {
            return FRAME_OFFSET;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, dataOffset)
                    .putInt(12, dataLength)
                    .putInt(16, oobDataOffset)
                    .putInt(20, oobDataLength)
                    .putInt(24, oobElementCount)
                    .putInt(28, ppiOffset)
                    .putInt(32, ppiLength)
                    .putInt(36, vcHandle);
        }
    }

    /** struct rndis_initialize_request (Linux: version 1.0, max transfer 0x4000). */
    record InitializeRequest(int requestId, int majorVersion, int minorVersion, int maxTransferSize)
            implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.INITIALIZE;
        }

        @Override
        public int size() {
            return HEADER + 16;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId)
                    .putInt(12, majorVersion)
                    .putInt(16, minorVersion)
                    .putInt(20, maxTransferSize);
        }
    }

    /**
     * struct rndis_initialize_complete. Linux takes {@code maxPacketsPerMessage} as how many packets it may batch in
     * one send section and 2^{@code packetAlignmentFactor} as their alignment.
     */
    record InitializeComplete(
            int requestId,
            int status,
            int majorVersion,
            int minorVersion,
            int deviceFlags,
            int medium,
            int maxPacketsPerMessage,
            int maxTransferSize,
            int packetAlignmentFactor,
            int afListOffset,
            int afListSize)
            implements RndisMessage {
        public static final int CONNECTIONLESS = 1, MEDIUM_802_3 = 0;

        @Override
        public RndisMessageType type() {
            return RndisMessageType.INITIALIZE_COMPLETE;
        }

        @Override
        public int size() {
            return HEADER + 44;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId)
                    .putInt(12, status)
                    .putInt(16, majorVersion)
                    .putInt(20, minorVersion)
                    .putInt(24, deviceFlags)
                    .putInt(28, medium)
                    .putInt(32, maxPacketsPerMessage)
                    .putInt(36, maxTransferSize)
                    .putInt(40, packetAlignmentFactor)
                    .putInt(44, afListOffset)
                    .putInt(48, afListSize);
        }
    }

    /** struct rndis_halt_request: the guest stops the adapter (no answer). */
    record HaltRequest(int requestId) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.HALT;
        }

        @Override
        public int size() {
            return HEADER + 4;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId);
        }
    }

    /** struct rndis_query_request with its information buffer (an in-out object for some OIDs). */
    record QueryRequest(int requestId, int oid, byte[] info, int deviceVcHandle) implements RndisMessage {
        public QueryRequest {
            info = info.clone();
        }

        @Override
        public RndisMessageType type() {
            return RndisMessageType.QUERY;
        }

        @Override
        public int size() {
            return HEADER + 20 + info.length;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId).putInt(12, oid).putInt(24, deviceVcHandle);
            putInfo(m, 16, 20, 20, info);
        }
    }

    /** struct rndis_query_complete with the answer's information buffer. */
    record QueryComplete(int requestId, int status, byte[] info) implements RndisMessage {
        public QueryComplete {
            info = info.clone();
        }

        @Override
        public RndisMessageType type() {
            return RndisMessageType.QUERY_COMPLETE;
        }

        @Override
        public int size() {
            return HEADER + 16 + info.length;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId).putInt(12, status);
            // Linux checks the offset is past the struct even for an empty buffer.
            putInfo(m, 16, 20, 16, info);
        }
    }

    /** struct rndis_set_request with the value to set. */
    record SetRequest(int requestId, int oid, byte[] info, int deviceVcHandle) implements RndisMessage {
        public SetRequest {
            info = info.clone();
        }

        @Override
        public RndisMessageType type() {
            return RndisMessageType.SET;
        }

        @Override
        public int size() {
            return HEADER + 20 + info.length;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId).putInt(12, oid).putInt(24, deviceVcHandle);
            putInfo(m, 16, 20, 20, info);
        }
    }

    /** struct rndis_set_complete. */
    record SetComplete(int requestId, int status) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.SET_COMPLETE;
        }

        @Override
        public int size() {
            return HEADER + 8;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId).putInt(12, status);
        }
    }

    /** struct rndis_reset_request. */
    record ResetRequest(int reserved) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.RESET;
        }

        @Override
        public int size() {
            return HEADER + 4;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, reserved);
        }
    }

    /** struct rndis_reset_complete. */
    record ResetComplete(int status, int addressingReset) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.RESET_COMPLETE;
        }

        @Override
        public int size() {
            return HEADER + 8;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, status).putInt(12, addressingReset);
        }
    }

    /** struct rndis_indicate_status: the host tells the guest of a change (media connect/disconnect, link speed). */
    record IndicateStatus(int status, byte[] buffer) implements RndisMessage {
        public IndicateStatus {
            buffer = buffer.clone();
        }

        @Override
        public RndisMessageType type() {
            return RndisMessageType.INDICATE_STATUS;
        }

        @Override
        public int size() {
            return HEADER + 12 + buffer.length;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, status);
            putInfo(m, 12, 16, 12, buffer);
        }
    }

    /** struct rndis_keepalive_request. */
    record KeepaliveRequest(int requestId) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.KEEPALIVE;
        }

        @Override
        public int size() {
            return HEADER + 4;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId);
        }
    }

    /** struct rndis_keepalive_complete. */
    record KeepaliveComplete(int requestId, int status) implements RndisMessage {
        @Override
        public RndisMessageType type() {
            return RndisMessageType.KEEPALIVE_COMPLETE;
        }

        @Override
        public int size() {
            return HEADER + 8;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(8, requestId).putInt(12, status);
        }
    }
}
