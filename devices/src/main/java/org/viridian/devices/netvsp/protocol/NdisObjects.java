package org.viridian.devices.netvsp.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.Wire;

/**
 * The NDIS objects NetVSP answers queries with (Linux hyperv_net.h): struct ndis_offload for
 * OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES and struct ndis_recv_scale_cap for OID_GEN_RECEIVE_SCALE_CAPABILITIES, each
 * behind a struct ndis_object_header (u8 type, u8 revision, u16 size). Also the packet filter bits of
 * OID_GEN_CURRENT_PACKET_FILTER.
 */
public final class NdisObjects {
    private NdisObjects() {}

    public static final int TYPE_RSS_CAPABILITIES = 0x88, TYPE_OFFLOAD = 0xA7;

    /**
     * sizeof(struct ndis_offload) up to NDIS 6.0, 6.1 and 6.30 as Linux lays it out (hyperv_net.h: ipsecv2 has u8
     * flags, 32 bytes; rsc two u8 padded to 4; encap_gre 8). Linux refuses an answer longer than its struct.
     */
    public static final int OFFLOAD_SIZE_6_0 = 112, OFFLOAD_SIZE_6_1 = 144, OFFLOAD_SIZE = 156;

    /** NDIS_PACKET_TYPE_*: which destinations the guest wants frames for. */
    public static final int FILTER_DIRECTED = 0x1,
            FILTER_MULTICAST = 0x2,
            FILTER_ALL_MULTICAST = 0x4,
            FILTER_BROADCAST = 0x8,
            FILTER_PROMISCUOUS = 0x20;

    /**
     * An offload capabilities object that offers nothing (no checksum, LSO, IPsec or RSC offload: the guest does all
     * of it itself), at the revision and size Linux expects for the NVSP version: revision 3 from NVSP 5, 2 from 4.
     */
    public static byte[] noOffloads(NvspVersion version) {
        int revision = version.atLeast(NvspVersion.V5) ? 3 : version.atLeast(NvspVersion.V4) ? 2 : 1;
        int size = revision == 3 ? OFFLOAD_SIZE : revision == 2 ? OFFLOAD_SIZE_6_1 : OFFLOAD_SIZE_6_0;
        return Wire.bytes(size, b -> header(b, TYPE_OFFLOAD, revision, size));
    }

    /** sizeof(struct ndis_recv_scale_cap), packed. */
    public static final int RSS_CAPABILITIES_SIZE = 18;

    /**
     * Receive-side scaling capabilities with {@code queues} receive queues: Linux asks for sub-channels only when
     * there are at least two, so one means "a single queue".
     */
    public static byte[] receiveScaleCapabilities(int queues, int indirectionTableEntries) {
        return Wire.bytes(RSS_CAPABILITIES_SIZE, b -> {
            header(b, TYPE_RSS_CAPABILITIES, 2, RSS_CAPABILITIES_SIZE);
            b.putInt(4, 0).putInt(8, queues).putInt(12, queues).putShort(16, (short) indirectionTableEntries);
        });
    }

    private static void header(ByteBuffer b, int type, int revision, int size) {
        b.put(0, (byte) type).put(1, (byte) revision).putShort(2, (short) size);
    }
}
