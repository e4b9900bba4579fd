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

    /** NDIS_OFFLOAD_ENCAP_8023: offloads apply to Ethernet frames. */
    public static final int ENCAP_8023 = 0x2;
    /** NDIS_TXCSUM_CAP_* / NDIS_RXCSUM_CAP_* (IPv4: IP4OPT, TCP4OPT, TCP4, UDP4, IP4; IPv6: IP6EXT, TCP6OPT, TCP6, UDP6). */
    public static final int CSUM_IP4 = 0x1 | 0x4 | 0x10 | 0x40 | 0x100, CSUM_IP6 = 0x1 | 0x4 | 0x10 | 0x40;
    /** NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT. */
    public static final int LSOV2_IP6_OPTIONS = 0x1 | 0x4;
    /** The largest LSO send offered (Hyper-V's figure; Linux takes it as its TSO maximum) and the fewest segments. */
    public static final int LSOV2_MAX_SIZE = 62768, LSOV2_MIN_SEGMENTS = 2;

    /**
     * The offload capabilities object (struct ndis_offload), at the revision and size Linux expects for the NVSP
     * version (revision 3 from NVSP 5, 2 from 4). With {@code offered}: transmit checksums for IPv4 (TCP, UDP, the IP
     * header) and IPv6 (TCP, UDP), receive checksum indications for the same, and LSOv2 for TCP over IPv4 and IPv6;
     * without it nothing (the guest does all of it itself). No LSOv1, IPsec or RSC.
     */
    public static byte[] offloads(NvspVersion version, boolean offered) {
        int revision = version.atLeast(NvspVersion.V5) ? 3 : version.atLeast(NvspVersion.V4) ? 2 : 1;
        int size = revision == 3 ? OFFLOAD_SIZE : revision == 2 ? OFFLOAD_SIZE_6_1 : OFFLOAD_SIZE_6_0;
        return Wire.bytes(size, b -> {
            header(b, TYPE_OFFLOAD, revision, size);
            if (!offered) return;
            // struct ndis_csum_offload at 4: ip4 tx encap, tx caps, rx encap, rx caps; then the same for IPv6.
            b.putInt(4, ENCAP_8023).putInt(8, CSUM_IP4).putInt(12, ENCAP_8023).putInt(16, CSUM_IP4);
            b.putInt(20, ENCAP_8023).putInt(24, CSUM_IP6).putInt(28, ENCAP_8023).putInt(32, CSUM_IP6);
            // struct ndis_lsov2_offload at 80 (after LSOv1 at 36 and IPsec v1 at 52, both left empty).
            b.putInt(80, ENCAP_8023).putInt(84, LSOV2_MAX_SIZE).putInt(88, LSOV2_MIN_SEGMENTS);
            b.putInt(92, ENCAP_8023).putInt(96, LSOV2_MAX_SIZE).putInt(100, LSOV2_MIN_SEGMENTS);
            b.putInt(104, LSOV2_IP6_OPTIONS);
        });
    }

    /** sizeof(struct ndis_recv_scale_cap), packed. */
    public static final int RSS_CAPABILITIES_SIZE = 18;

    /** NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV4 | NDIS_RSS_CAPS_HASH_TYPE_TCP_IPV6. */
    public static final int RSS_CAPS_TCP = 0x100 | 0x200;

    /**
     * Receive-side scaling capabilities with {@code queues} receive queues: Linux asks for sub-channels only when
     * there are at least two, so one means "a single queue".
     */
    public static byte[] receiveScaleCapabilities(int queues, int indirectionTableEntries) {
        return Wire.bytes(RSS_CAPABILITIES_SIZE, b -> {
            header(b, TYPE_RSS_CAPABILITIES, 2, RSS_CAPABILITIES_SIZE);
            b.putInt(4, queues > 1 ? RSS_CAPS_TCP : 0)
                    .putInt(8, queues)
                    .putInt(12, queues)
                    .putShort(16, (short) indirectionTableEntries);
        });
    }

    private static void header(ByteBuffer b, int type, int revision, int size) {
        b.put(0, (byte) type).put(1, (byte) revision).putShort(2, (short) size);
    }
}
