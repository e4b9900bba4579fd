package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.devices.netvsp.protocol.NdisObjects;
import org.viridian.devices.netvsp.protocol.NvspVersion;
import org.viridian.devices.netvsp.protocol.OffloadParameters;
import org.viridian.devices.netvsp.protocol.Oid;
import org.viridian.devices.netvsp.protocol.ReceiveScaleParameters;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.devices.netvsp.protocol.RndisMessage.IndicateStatus;
import org.viridian.devices.netvsp.protocol.RndisMessage.InitializeComplete;
import org.viridian.devices.netvsp.protocol.RndisMessage.QueryComplete;
import org.viridian.devices.netvsp.protocol.RndisMessage.QueryRequest;
import org.viridian.devices.netvsp.protocol.RndisMessage.SetComplete;
import org.viridian.devices.netvsp.protocol.RndisMessage.SetRequest;
import org.viridian.devices.netvsp.protocol.RndisStatus;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The adapter as RNDIS presents it: initialization, the OIDs hv_netvsc queries and sets, keep-alive, halt and reset.
 * It answers what it implements (the offloads when the port takes them, as many receive queues as offered) and
 * NOT_SUPPORTED for any other OID. Holds the guest's packet filter, which decides which frames reach it, its
 * receive-side scaling settings and whether it wants receive checksum indications. Control messages come under the
 * primary channel's lock; what the port's thread reads per frame is volatile.
 */
final class RndisControl {
    /** Packets the guest may batch in one send-buffer section, and their alignment (2^3). */
    static final int MAX_PACKETS_PER_MESSAGE = 8, ALIGNMENT_FACTOR = 3;
    /** 10 Gbit/s in NDIS's unit of 100 bit/s. */
    static final int LINK_SPEED = 100_000_000;

    private final byte[] permanentMac;
    /** The address the guest set (RNDIS "NetworkAddress" parameter); the permanent one until it does. */
    private final byte[] mac;

    private final int mtu;
    private final int maxTransfer;
    private final boolean offloads;
    private final int queues, tableEntries;
    private volatile boolean initialized;
    private volatile int packetFilter;
    private volatile ReceiveScaling scaling = ReceiveScaling.OFF;
    /** Whether the guest turned receive checksum indications on for TCP/UDP over IPv4 and over IPv6. */
    private volatile boolean rxChecksum4, rxChecksum6;

    /**
     * {@code offloads}: whether checksum and segmentation offloads are offered; {@code queues}: receive queues offered
     * (1: no RSS), with an indirection table of {@code tableEntries}.
     */
    RndisControl(byte[] mac, int mtu, int maxTransfer, boolean offloads, int queues, int tableEntries) {
        this.permanentMac = mac.clone();
        this.mac = mac.clone();
        this.mtu = mtu;
        this.maxTransfer = maxTransfer;
        this.offloads = offloads;
        this.queues = queues;
        this.tableEntries = tableEntries;
    }

    boolean initialized() {
        return initialized;
    }

    /** The guest's receive-side scaling settings (OFF until it sets some). */
    ReceiveScaling scaling() {
        return scaling;
    }

    /** The guest's RNDIS settings, for a saved VM. */
    synchronized NetVspSavedState.Rndis save() {
        ReceiveScaling r = scaling;
        return new NetVspSavedState.Rndis(
                initialized, packetFilter, mac.clone(), rxChecksum4, rxChecksum6, r.hashInfo(), r.key(), r.table());
    }

    /** Puts saved settings back (a restored VM): as if the guest had sent them again. */
    synchronized void restore(NetVspSavedState.Rndis s) {
        if ((s.mac()[0] & 1) != 0) throw new IllegalArgumentException("netvsp: saved MAC is a multicast address");
        System.arraycopy(s.mac(), 0, mac, 0, 6);
        packetFilter = s.packetFilter();
        rxChecksum4 = s.rxChecksum4();
        rxChecksum6 = s.rxChecksum6();
        scaling = s.table().length == 0 && s.hashInfo() == 0
                ? ReceiveScaling.OFF
                : new ReceiveScaling(s.hashInfo(), java.util.Arrays.copyOf(s.key(), Toeplitz.KEY_SIZE), s.table());
        initialized = s.initialized();
    }

    /** Forgets the guest's state (a new opening of the channel). */
    void reset() {
        initialized = false;
        packetFilter = 0;
        scaling = ReceiveScaling.OFF;
        rxChecksum4 = rxChecksum6 = false;
    }

    /** struct ndis_tcp_ip_checksum_info receive bits: TCP, UDP and IP checksum succeeded. */
    static final int RX_TCP_OK = 1 << 3, RX_UDP_OK = 1 << 4, RX_IP_OK = 1 << 5;

    /**
     * The receive checksum indication for a frame whose checksums the host verified, when the guest wants them for its
     * IP version and it is TCP or UDP; 0 (no indication: the guest checks) otherwise.
     */
    int receiveChecksumInfo(byte[] f, int off, int len) {
        int end = off + len, l3 = off + 14;
        if (l3 + 40 > end) return 0;
        int type = (f[off + 12] & 0xFF) << 8 | f[off + 13] & 0xFF, proto;
        if (type == TransmitOffloads.ETHERTYPE_IPV4 && rxChecksum4) proto = f[l3 + 9] & 0xFF;
        else if (type == TransmitOffloads.ETHERTYPE_IPV6 && rxChecksum6) proto = f[l3 + 6] & 0xFF;
        else return 0;
        int ip = type == TransmitOffloads.ETHERTYPE_IPV4 ? RX_IP_OK : 0;
        return proto == TransmitOffloads.PROTO_TCP
                ? RX_TCP_OK | ip
                : proto == TransmitOffloads.PROTO_UDP ? RX_UDP_OK | ip : 0;
    }

    /**
     * The answer to a control message, or null when it has none (halt). {@code version} is the NVSP version in use
     * (the offload object's layout depends on it), {@code linkUp} the link as the guest should see it.
     */
    RndisMessage answer(RndisMessage request, NvspVersion version, boolean linkUp) {
        return switch (request) {
            case RndisMessage.InitializeRequest i -> {
                initialized = true;
                yield new InitializeComplete(
                        i.requestId(),
                        RndisStatus.SUCCESS,
                        1,
                        0,
                        InitializeComplete.CONNECTIONLESS,
                        InitializeComplete.MEDIUM_802_3,
                        MAX_PACKETS_PER_MESSAGE,
                        maxTransfer,
                        ALIGNMENT_FACTOR,
                        0,
                        0);
            }
            case QueryRequest q -> query(q, version, linkUp);
            case SetRequest s -> new SetComplete(s.requestId(), set(s));
            case RndisMessage.KeepaliveRequest k ->
                new RndisMessage.KeepaliveComplete(k.requestId(), RndisStatus.SUCCESS);
            case RndisMessage.ResetRequest r -> {
                packetFilter = 0;
                yield new RndisMessage.ResetComplete(RndisStatus.SUCCESS, 0);
            }
            case RndisMessage.HaltRequest h -> {
                reset();
                yield null;
            }
            default -> throw new IllegalArgumentException(request.type() + " is not a control request");
        };
    }

    private QueryComplete query(QueryRequest q, NvspVersion version, boolean linkUp) {
        Oid oid = Oid.of(q.oid()).orElse(null);
        byte[] value =
                switch (oid) {
                    case IEEE802_3_PERMANENT_ADDRESS -> permanentMac.clone();
                    case IEEE802_3_CURRENT_ADDRESS -> mac.clone();
                    case GEN_MAXIMUM_FRAME_SIZE -> u32(mtu);
                    case GEN_MAXIMUM_TOTAL_SIZE -> u32(mtu + 14);
                    case GEN_LINK_SPEED -> u32(LINK_SPEED);
                    case GEN_MEDIA_CONNECT_STATUS -> u32(linkUp ? 0 : 1); // NdisMediaStateConnected = 0
                    case GEN_MEDIA_SUPPORTED, GEN_MEDIA_IN_USE -> u32(InitializeComplete.MEDIUM_802_3);
                    case GEN_CURRENT_PACKET_FILTER -> u32(packetFilter);
                    case IEEE802_3_MAXIMUM_LIST_SIZE -> u32(32);
                    case TCP_OFFLOAD_HARDWARE_CAPABILITIES -> NdisObjects.offloads(version, offloads);
                    case GEN_RECEIVE_SCALE_CAPABILITIES ->
                        NdisObjects.receiveScaleCapabilities(queues, queues > 1 ? tableEntries : 0);
                    case null, default -> null;
                };
        if (value == null) return new QueryComplete(q.requestId(), RndisStatus.NOT_SUPPORTED, new byte[0]);
        return new QueryComplete(q.requestId(), RndisStatus.SUCCESS, value);
    }

    private int set(SetRequest s) {
        byte[] v = s.info();
        return switch (Oid.of(s.oid()).orElse(null)) {
            case GEN_CURRENT_PACKET_FILTER -> {
                if (v.length < 4) yield RndisStatus.INVALID_LENGTH;
                packetFilter = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
                yield RndisStatus.SUCCESS;
            }
            // Every frame is delivered to the filter below whatever the list; its shape is still checked.
            case IEEE802_3_MULTICAST_LIST -> v.length % 6 == 0 ? RndisStatus.SUCCESS : RndisStatus.INVALID_LENGTH;
            case TCP_OFFLOAD_PARAMETERS -> offloadParameters(v);
            case GEN_RECEIVE_SCALE_PARAMETERS -> queues > 1 ? scaleParameters(v) : RndisStatus.NOT_SUPPORTED;
            case GEN_RNDIS_CONFIG_PARAMETER -> configParameter(v);
            case null, default -> RndisStatus.NOT_SUPPORTED;
        };
    }

    /**
     * The guest turns offloads on and off. Transmit offloads are honoured per packet whatever it says (it asks for
     * them in each packet's information); the receive checksum settings decide whether frames carry indications.
     */
    private int offloadParameters(byte[] v) {
        OffloadParameters p;
        try {
            p = OffloadParameters.parse(v);
        } catch (ProtocolException e) {
            return v.length < OffloadParameters.MIN_SIZE ? RndisStatus.INVALID_LENGTH : RndisStatus.INVALID_DATA;
        }
        if (!offloads
                && (enables(p.tcpIpv4Checksum())
                        || enables(p.udpIpv4Checksum())
                        || enables(p.tcpIpv6Checksum())
                        || enables(p.udpIpv6Checksum())
                        || p.lsoV2Ipv4() == OffloadParameters.LSO_ENABLED
                        || p.lsoV2Ipv6() == OffloadParameters.LSO_ENABLED)) {
            return RndisStatus.NOT_SUPPORTED;
        }
        rxChecksum4 = OffloadParameters.receiveOn(p.tcpIpv4Checksum(), rxChecksum4)
                || OffloadParameters.receiveOn(p.udpIpv4Checksum(), false);
        rxChecksum6 = OffloadParameters.receiveOn(p.tcpIpv6Checksum(), rxChecksum6)
                || OffloadParameters.receiveOn(p.udpIpv6Checksum(), false);
        return RndisStatus.SUCCESS;
    }

    private static boolean enables(int setting) {
        return setting >= OffloadParameters.TX_ENABLED_RX_DISABLED;
    }

    /** New receive-side scaling settings (hv_netvsc sends them disabled first, then enabled). */
    private int scaleParameters(byte[] v) {
        try {
            ReceiveScaleParameters p = ReceiveScaleParameters.parse(v);
            if (!p.disabled() && p.table() == null && scaling.table().length == 0) return RndisStatus.INVALID_DATA;
            scaling = scaling.with(p);
            return RndisStatus.SUCCESS;
        } catch (ProtocolException e) {
            return v.length < ReceiveScaleParameters.MIN_SIZE ? RndisStatus.INVALID_LENGTH : RndisStatus.INVALID_DATA;
        }
    }

    /**
     * A configuration parameter (struct rndis_config_parameter_info: name offset, name length, type, value offset, value
     * length, offsets from its start; UTF-16LE strings). Only "NetworkAddress" is known: the guest's new MAC address as
     * 12 hex digits, which Linux sends for `ip link set eth0 address`. As on Hyper-V the guest may change it; the
     * switch port's MAC spoofing guard decides whether frames from it get through.
     */
    private int configParameter(byte[] v) {
        if (v.length < 20) return RndisStatus.INVALID_LENGTH;
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        String name = utf16(v, b.getInt(0), b.getInt(4)), value = utf16(v, b.getInt(12), b.getInt(16));
        if (name == null || value == null) return RndisStatus.INVALID_DATA;
        if (!name.equalsIgnoreCase("NetworkAddress")) return RndisStatus.NOT_SUPPORTED;
        if (!value.matches("[0-9a-fA-F]{12}")) return RndisStatus.INVALID_DATA;
        byte[] next = java.util.HexFormat.of().parseHex(value);
        if ((next[0] & 1) != 0) return RndisStatus.INVALID_DATA;
        System.arraycopy(next, 0, mac, 0, 6);
        return RndisStatus.SUCCESS;
    }

    /** A UTF-16LE string at {@code offset} of {@code length} bytes inside {@code v}, or null when it is not inside. */
    private static String utf16(byte[] v, int offset, int length) {
        if (offset < 0 || length < 0 || length % 2 != 0 || offset > v.length - length || length > 512) return null;
        return new String(v, offset, length, java.nio.charset.StandardCharsets.UTF_16LE);
    }

    /** Whether the guest's packet filter takes a frame with this destination address (the frame's first 6 bytes). */
    boolean accepts(byte[] frame, int off) {
        int f = packetFilter;
        if ((f & NdisObjects.FILTER_PROMISCUOUS) != 0) return true;
        if ((frame[off] & 1) == 0) return (f & NdisObjects.FILTER_DIRECTED) != 0 && isOurs(frame, off);
        boolean broadcast = true;
        for (int i = 0; i < 6; i++) broadcast &= frame[off + i] == (byte) 0xFF;
        if (broadcast) return (f & NdisObjects.FILTER_BROADCAST) != 0;
        return (f & (NdisObjects.FILTER_MULTICAST | NdisObjects.FILTER_ALL_MULTICAST)) != 0;
    }

    private boolean isOurs(byte[] frame, int off) {
        for (int i = 0; i < 6; i++) if (frame[off + i] != mac[i]) return false;
        return true;
    }

    /** The indication telling the guest the link changed. */
    static IndicateStatus linkIndication(boolean up) {
        return new IndicateStatus(up ? RndisStatus.MEDIA_CONNECT : RndisStatus.MEDIA_DISCONNECT, new byte[0]);
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, v)
                .array();
    }
}
