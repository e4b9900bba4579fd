package org.viridian.devices.netvsp.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One NVSP message (Linux hyperv_net.h's struct nvsp_message: a u32 type, then one member of the version unions). Each
 * side writes the whole 40-byte struct (larger when a message carries more, such as a send indirection table) except
 * the guest's receive completion, which is 8 bytes, so {@code parse} requires only what the message's own struct
 * needs. Guest and host messages are told apart because NVSP_MSG5_TYPE_SUBCHANNEL means a request one way and a
 * completion the other.
 */
public sealed interface NvspMessage {
    /** sizeof(struct nvsp_message): the header and the largest union member (struct nvsp_6_pd_api_comp). */
    int SIZE = 40;

    int HEADER = 4;

    NvspMessageType type();

    /** Bytes {@link #writeTo} writes. */
    default int size() {
        return SIZE;
    }

    /** Writes the body after the header into {@code m} (a zeroed view of {@link #size()} bytes indexed from 0). */
    void writeBody(ByteBuffer m);

    /** Writes the message (header, body, zero padding) at {@code b}'s position and moves past it. */
    default void writeTo(ByteBuffer b) {
        ByteBuffer m = b.slice(b.position(), size()).order(ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + size());
        for (int i = 0; i < m.limit(); i++) m.put(i, (byte) 0);
        m.putInt(0, type().code());
        writeBody(m);
    }

    default byte[] toBytes() {
        return Wire.bytes(size(), this::writeTo);
    }

    /** What the guest (hv_netvsc) sends. */
    sealed interface FromGuest extends NvspMessage {}

    /** What the host sends. */
    sealed interface FromHost extends NvspMessage {}

    /** A guest's message of {@code size} bytes at {@code b}'s position (which does not move). */
    static FromGuest parseFromGuest(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "nvsp_message");
        int code = m.getInt(0);
        NvspMessageType type = NvspMessageType.of(code)
                .orElseThrow(
                        () -> new ProtocolException("unknown NVSP message type " + Integer.toUnsignedString(code)));
        return switch (type) {
            case INIT -> Init.parse(m, size);
            case SEND_NDIS_VERSION -> SendNdisVersion.parse(m, size);
            case SEND_RECEIVE_BUFFER -> SendReceiveBuffer.parse(m, size);
            case REVOKE_RECEIVE_BUFFER -> RevokeReceiveBuffer.parse(m, size);
            case SEND_SEND_BUFFER -> SendSendBuffer.parse(m, size);
            case REVOKE_SEND_BUFFER -> RevokeSendBuffer.parse(m, size);
            case SEND_RNDIS_PACKET -> SendRndisPacket.parse(m, size);
            case SEND_RNDIS_PACKET_COMPLETE -> SendRndisPacketComplete.parse(m, size);
            case SEND_NDIS_CONFIG -> SendNdisConfig.parse(m, size);
            case SWITCH_DATA_PATH -> SwitchDataPath.parse(m, size);
            case SUBCHANNEL -> SubChannelRequest.parse(m, size);
            default -> throw new ProtocolException("NVSP message " + type + " does not come from a guest");
        };
    }

    /** A host's message (the test guest's side, and the fuzz round trip). */
    static FromHost parseFromHost(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADER, "nvsp_message");
        int code = m.getInt(0);
        NvspMessageType type = NvspMessageType.of(code)
                .orElseThrow(
                        () -> new ProtocolException("unknown NVSP message type " + Integer.toUnsignedString(code)));
        return switch (type) {
            case INIT_COMPLETE -> InitComplete.parse(m, size);
            case SEND_RECEIVE_BUFFER_COMPLETE -> SendReceiveBufferComplete.parse(m, size);
            case SEND_SEND_BUFFER_COMPLETE -> SendSendBufferComplete.parse(m, size);
            case SEND_RNDIS_PACKET -> SendRndisPacket.parse(m, size);
            case SEND_RNDIS_PACKET_COMPLETE -> SendRndisPacketComplete.parse(m, size);
            case SEND_VF_ASSOCIATION -> SendVfAssociation.parse(m, size);
            case SUBCHANNEL -> SubChannelComplete.parse(m, size);
            case SEND_INDIRECTION_TABLE -> SendIndirectionTable.parse(m, size);
            default -> throw new ProtocolException("NVSP message " + type + " does not come from a host");
        };
    }

    private static void need(int size, int body, NvspMessageType type) throws ProtocolException {
        if (size < HEADER + body) {
            throw new ProtocolException(type + " of " + size + " bytes, its struct needs " + (HEADER + body));
        }
    }

    /** struct nvsp_message_init: the range of versions the guest takes (Linux names one at a time). */
    record Init(int minVersion, int maxVersion) implements FromGuest {
        static Init parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.INIT);
            return new Init(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.INIT;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, minVersion).putInt(8, maxVersion);
        }
    }

    /** struct nvsp_message_init_complete. */
    record InitComplete(int negotiatedVersion, int maxMdlChainLength, int status) implements FromHost {
        static InitComplete parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 12, NvspMessageType.INIT_COMPLETE);
            return new InitComplete(m.getInt(4), m.getInt(8), m.getInt(12));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.INIT_COMPLETE;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, negotiatedVersion).putInt(8, maxMdlChainLength).putInt(12, status);
        }
    }

    /** struct nvsp_1_message_send_ndis_version: NDIS 6.1 below NVSP 5, 6.30 from it (Linux). */
    record SendNdisVersion(int major, int minor) implements FromGuest {
        static SendNdisVersion parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SEND_NDIS_VERSION);
            return new SendNdisVersion(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_NDIS_VERSION;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, major).putInt(8, minor);
        }
    }

    /** struct nvsp_1_message_send_receive_buffer: the GPADL of the guest's receive buffer and its id (0xcafe). */
    record SendReceiveBuffer(int gpadl, int id) implements FromGuest {
        static SendReceiveBuffer parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 6, NvspMessageType.SEND_RECEIVE_BUFFER);
            return new SendReceiveBuffer(m.getInt(4), Short.toUnsignedInt(m.getShort(8)));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_RECEIVE_BUFFER;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, gpadl).putShort(8, (short) id);
        }
    }

    /** struct nvsp_1_receive_buffer_section: how the host carves (part of) the receive buffer. */
    record ReceiveBufferSection(int offset, int subAllocSize, int subAllocCount, int endOffset) {
        static final int SIZE = 16;
    }

    /**
     * struct nvsp_1_message_send_receive_buffer_complete: status and the sections. Linux takes exactly one section
     * at offset 0 and uses its sub-allocation size and count as its receive slots.
     */
    record SendReceiveBufferComplete(int status, List<ReceiveBufferSection> sections) implements FromHost {
        public SendReceiveBufferComplete {
            sections = List.copyOf(sections);
        }

        static SendReceiveBufferComplete parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SEND_RECEIVE_BUFFER_COMPLETE);
            int count = m.getInt(8);
            if (count < 0 || count > (size - 12) / ReceiveBufferSection.SIZE) {
                throw new ProtocolException(
                        Integer.toUnsignedString(count) + " receive buffer sections in " + size + " bytes");
            }
            List<ReceiveBufferSection> sections = new ArrayList<>(count);
            for (int i = 0, at = 12; i < count; i++, at += ReceiveBufferSection.SIZE) {
                sections.add(
                        new ReceiveBufferSection(m.getInt(at), m.getInt(at + 4), m.getInt(at + 8), m.getInt(at + 12)));
            }
            return new SendReceiveBufferComplete(m.getInt(4), sections);
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_RECEIVE_BUFFER_COMPLETE;
        }

        @Override
        public int size() {
            return Math.max(SIZE, 12 + ReceiveBufferSection.SIZE * sections.size());
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, status).putInt(8, sections.size());
            int at = 12;
            for (ReceiveBufferSection s : sections) {
                m.putInt(at, s.offset())
                        .putInt(at + 4, s.subAllocSize())
                        .putInt(at + 8, s.subAllocCount())
                        .putInt(at + 12, s.endOffset());
                at += ReceiveBufferSection.SIZE;
            }
        }
    }

    /** struct nvsp_1_message_revoke_receive_buffer. */
    record RevokeReceiveBuffer(int id) implements FromGuest {
        static RevokeReceiveBuffer parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 2, NvspMessageType.REVOKE_RECEIVE_BUFFER);
            return new RevokeReceiveBuffer(Short.toUnsignedInt(m.getShort(4)));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.REVOKE_RECEIVE_BUFFER;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putShort(4, (short) id);
        }
    }

    /** struct nvsp_1_message_send_send_buffer: the GPADL of the guest's send buffer and its id (0). */
    record SendSendBuffer(int gpadl, int id) implements FromGuest {
        static SendSendBuffer parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 6, NvspMessageType.SEND_SEND_BUFFER);
            return new SendSendBuffer(m.getInt(4), Short.toUnsignedInt(m.getShort(8)));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_SEND_BUFFER;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, gpadl).putShort(8, (short) id);
        }
    }

    /** struct nvsp_1_message_send_send_buffer_complete: the host picks the send buffer's section size. */
    record SendSendBufferComplete(int status, int sectionSize) implements FromHost {
        static SendSendBufferComplete parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SEND_SEND_BUFFER_COMPLETE);
            return new SendSendBufferComplete(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_SEND_BUFFER_COMPLETE;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, status).putInt(8, sectionSize);
        }
    }

    /** struct nvsp_1_message_revoke_send_buffer. */
    record RevokeSendBuffer(int id) implements FromGuest {
        static RevokeSendBuffer parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 2, NvspMessageType.REVOKE_SEND_BUFFER);
            return new RevokeSendBuffer(Short.toUnsignedInt(m.getShort(4)));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.REVOKE_SEND_BUFFER;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putShort(4, (short) id);
        }
    }

    /**
     * struct nvsp_1_message_send_rndis_packet: RNDIS message(s) follow, either in send-buffer section
     * {@code sectionIndex} ({@code sectionSize} bytes; {@link #NO_SECTION} when none) and/or in the packet's GPA
     * ranges; from the host, in the transfer-page range of the receive buffer.
     */
    record SendRndisPacket(int channelType, int sectionIndex, int sectionSize) implements FromGuest, FromHost {
        public static final int DATA = 0, CONTROL = 1;
        public static final int NO_SECTION = 0xFFFFFFFF;

        static SendRndisPacket parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 12, NvspMessageType.SEND_RNDIS_PACKET);
            int channel = m.getInt(4);
            if (channel != DATA && channel != CONTROL)
                throw new ProtocolException("RNDIS channel type " + Integer.toUnsignedString(channel));
            return new SendRndisPacket(channel, m.getInt(8), m.getInt(12));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_RNDIS_PACKET;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, channelType).putInt(8, sectionIndex).putInt(12, sectionSize);
        }
    }

    /** struct nvsp_1_message_send_rndis_packet_complete (Linux's receive completion is just this: 8 bytes). */
    record SendRndisPacketComplete(int status) implements FromGuest, FromHost {
        static SendRndisPacketComplete parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 4, NvspMessageType.SEND_RNDIS_PACKET_COMPLETE);
            return new SendRndisPacketComplete(m.getInt(4));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_RNDIS_PACKET_COMPLETE;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, status);
        }
    }

    /**
     * struct nvsp_2_send_ndis_config: the guest's MTU (including the 14-byte Ethernet header) and its capabilities
     * (struct nvsp_2_vsc_capability's bits).
     */
    record SendNdisConfig(int mtu, long capabilities) implements FromGuest {
        public static final long VMQ = 1, CHIMNEY = 2, SRIOV = 4, IEEE8021Q = 8, CORRELATION_ID = 16, TEAMING = 32;
        public static final long VSUBNET_ID = 64, RSC = 128;

        static SendNdisConfig parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 16, NvspMessageType.SEND_NDIS_CONFIG);
            return new SendNdisConfig(m.getInt(4), m.getLong(12));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_NDIS_CONFIG;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, mtu).putLong(12, capabilities);
        }
    }

    /** struct nvsp_4_send_vf_association: whether an SR-IOV VF is there to team with, and its serial. */
    record SendVfAssociation(int allocated, int serial) implements FromHost {
        static SendVfAssociation parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SEND_VF_ASSOCIATION);
            return new SendVfAssociation(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_VF_ASSOCIATION;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, allocated).putInt(8, serial);
        }
    }

    /** struct nvsp_4_sw_datapath: which path the guest now sends on (enum nvsp_vm_datapath). */
    record SwitchDataPath(int activeDataPath) implements FromGuest {
        public static final int SYNTHETIC = 0, VF = 1;

        static SwitchDataPath parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 4, NvspMessageType.SWITCH_DATA_PATH);
            int path = m.getInt(4);
            if (path != SYNTHETIC && path != VF)
                throw new ProtocolException("data path " + Integer.toUnsignedString(path));
            return new SwitchDataPath(path);
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SWITCH_DATA_PATH;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, activeDataPath);
        }
    }

    /** struct nvsp_5_subchannel_request: NVSP_SUBCHANNEL_ALLOCATE this many sub-channels (vRSS). */
    record SubChannelRequest(int operation, int count) implements FromGuest {
        public static final int ALLOCATE = 1;

        static SubChannelRequest parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SUBCHANNEL);
            return new SubChannelRequest(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SUBCHANNEL;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, operation).putInt(8, count);
        }
    }

    /** struct nvsp_5_subchannel_complete: how many sub-channels the host will offer. */
    record SubChannelComplete(int status, int count) implements FromHost {
        static SubChannelComplete parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SUBCHANNEL);
            return new SubChannelComplete(m.getInt(4), m.getInt(8));
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SUBCHANNEL;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, status).putInt(8, count);
        }
    }

    /**
     * struct nvsp_5_send_indirect_table: which channel the guest sends each hash bucket on; {@code count} u32 entries at
     * {@code offset} from the start of the message. The host writes them right after the 40-byte struct (where Linux
     * looks for them from hosts of version 6 and older in any case).
     */
    record SendIndirectionTable(int[] table) implements FromHost {
        /** Linux takes exactly VRSS_SEND_TAB_SIZE entries; a larger table is refused outright. */
        public static final int MAX_ENTRIES = 64;

        public SendIndirectionTable {
            table = table.clone();
            if (table.length > MAX_ENTRIES) throw new IllegalArgumentException(table.length + " entries");
        }

        static SendIndirectionTable parse(ByteBuffer m, int size) throws ProtocolException {
            need(size, 8, NvspMessageType.SEND_INDIRECTION_TABLE);
            int count = m.getInt(4), offset = m.getInt(8);
            if (count < 0 || count > MAX_ENTRIES)
                throw new ProtocolException("indirection table of " + Integer.toUnsignedString(count) + " entries");
            if (offset < 12 || offset > size || (size - offset) / 4 < count) {
                throw new ProtocolException("indirection table of " + count + " entries at "
                        + Integer.toUnsignedString(offset) + " in " + size + " bytes");
            }
            int[] table = new int[count];
            for (int i = 0; i < count; i++) table[i] = m.getInt(offset + 4 * i);
            return new SendIndirectionTable(table);
        }

        @Override
        public NvspMessageType type() {
            return NvspMessageType.SEND_INDIRECTION_TABLE;
        }

        @Override
        public int size() {
            return SIZE + 4 * table.length;
        }

        @Override
        public void writeBody(ByteBuffer m) {
            m.putInt(4, table.length).putInt(8, SIZE);
            for (int i = 0; i < table.length; i++) m.putInt(SIZE + 4 * i, table[i]);
        }
    }
}
