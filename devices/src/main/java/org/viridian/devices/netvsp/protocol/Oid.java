package org.viridian.devices.netvsp.protocol;

import java.util.Optional;

/**
 * The NDIS object identifiers hv_netvsc queries or sets (Linux include/linux/rndis.h RNDIS_OID_*, hyperv_net.h's offload
 * and RSS OIDs). Anything else is answered RNDIS_STATUS_NOT_SUPPORTED.
 */
public enum Oid {
    GEN_SUPPORTED_LIST(0x00010101),
    GEN_HARDWARE_STATUS(0x00010102),
    GEN_MEDIA_SUPPORTED(0x00010103),
    GEN_MEDIA_IN_USE(0x00010104),
    GEN_MAXIMUM_FRAME_SIZE(0x00010106),
    GEN_LINK_SPEED(0x00010107),
    GEN_CURRENT_PACKET_FILTER(0x0001010E),
    GEN_MAXIMUM_TOTAL_SIZE(0x00010111),
    GEN_MEDIA_CONNECT_STATUS(0x00010114),
    GEN_RECEIVE_SCALE_CAPABILITIES(0x00010203),
    GEN_RECEIVE_SCALE_PARAMETERS(0x00010204),
    GEN_RNDIS_CONFIG_PARAMETER(0x0001021B),
    GEN_FRIENDLY_NAME(0x00020216),
    OFFLOAD_ENCAPSULATION(0x0101010A),
    IEEE802_3_PERMANENT_ADDRESS(0x01010101),
    IEEE802_3_CURRENT_ADDRESS(0x01010102),
    IEEE802_3_MULTICAST_LIST(0x01010103),
    IEEE802_3_MAXIMUM_LIST_SIZE(0x01010104),
    TCP_OFFLOAD_CURRENT_CONFIG(0xFC01020B),
    TCP_OFFLOAD_PARAMETERS(0xFC01020C),
    TCP_OFFLOAD_HARDWARE_CAPABILITIES(0xFC01020D);

    private final int code;

    Oid(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<Oid> of(int code) {
        for (Oid o : values()) if (o.code == code) return Optional.of(o);
        return Optional.empty();
    }
}
