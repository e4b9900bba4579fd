package org.viridian.devices.netvsp.protocol;

import org.viridian.vmbus.protocol.ProtocolException;

/**
 * OID_TCP_OFFLOAD_PARAMETERS' value (Linux hyperv_net.h struct ndis_offload_params): what the guest turns on or off,
 * one byte each, 0 meaning "no change". hv_netvsc sends 22 bytes up to NVSP 4 and the whole struct after.
 */
public record OffloadParameters(
        int ipv4Checksum,
        int tcpIpv4Checksum,
        int udpIpv4Checksum,
        int tcpIpv6Checksum,
        int udpIpv6Checksum,
        int lsoV2Ipv4,
        int lsoV2Ipv6) {
    /** The 4-byte header and the bytes up to lso_v2_ipv6 (VERSION_4_OFFLOAD_SIZE is 22). */
    public static final int MIN_SIZE = 13;

    public static final int NO_CHANGE = 0,
            TX_RX_DISABLED = 1,
            TX_ENABLED_RX_DISABLED = 2,
            RX_ENABLED_TX_DISABLED = 3,
            TX_RX_ENABLED = 4;
    public static final int LSO_DISABLED = 1, LSO_ENABLED = 2;

    public static OffloadParameters parse(byte[] v) throws ProtocolException {
        if (v.length < MIN_SIZE) throw new ProtocolException("offload parameters of " + v.length + " bytes");
        for (int i = 4; i <= 8; i++) {
            if ((v[i] & 0xFF) > TX_RX_ENABLED) throw new ProtocolException("checksum offload setting " + v[i]);
        }
        for (int i = 11; i <= 12; i++) {
            if ((v[i] & 0xFF) > LSO_ENABLED) throw new ProtocolException("LSOv2 setting " + v[i]);
        }
        return new OffloadParameters(v[4], v[5], v[6], v[7], v[8], v[11], v[12]);
    }

    /** Whether a checksum setting turns receive checksums on (NO_CHANGE keeps {@code current}). */
    public static boolean receiveOn(int setting, boolean current) {
        return setting == NO_CHANGE ? current : setting == RX_ENABLED_TX_DISABLED || setting == TX_RX_ENABLED;
    }
}
