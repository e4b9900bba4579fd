package org.viridian.devices.netvsp;

import org.viridian.vmbus.protocol.ProtocolException;

/**
 * Turns the offload a guest asks for in a transmitted packet's per-packet information (struct
 * ndis_tcp_ip_checksum_info, struct ndis_tcp_lso_info's LSOv2 form, as hv_netvsc's netvsc_xmit fills them) into a
 * {@link TxOffload} for the port, after checking that the frame's headers say the same thing: an Ethernet frame
 * (perhaps 802.1Q-tagged) with an IPv4 or IPv6 header and a TCP or UDP header where the guest says it starts. The frame
 * is made ready for the host kernel's rules in place: the transport checksum field gets the pseudo-header's sum with
 * the length (the kernel's CHECKSUM_PARTIAL convention; hv_netvsc leaves the length out for LSO, as NDIS does), an LSO
 * frame's IPv4 total length and header checksum or IPv6 payload length are filled in (Linux zeroes them), and an
 * asked-for IPv4 header checksum is computed here. A request whose headers do not parse is refused
 * ({@link ProtocolException}); the caller drops and counts the frame.
 */
final class TransmitOffloads {
    private TransmitOffloads() {}

    /** ndis_tcp_ip_checksum_info transmit bits (after 11 reserved ones, the TCP header's offset is bits 16-25). */
    static final int CSUM_IPV4 = 1, CSUM_IPV6 = 2, CSUM_TCP = 4, CSUM_UDP = 8, CSUM_IP_HEADER = 16;
    /** ndis_tcp_lso_info lso_v2_transmit: mss bits 0-19, TCP header offset 20-29, type (bit 30: LSOv2), IPv6 (31). */
    static final int LSO_V2 = 1 << 30, LSO_IPV6 = 1 << 31;

    static final int ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_IPV6 = 0x86DD, ETHERTYPE_VLAN = 0x8100;
    static final int PROTO_TCP = 6, PROTO_UDP = 17;
    /** Segments smaller than this are a guest making the host do much work for little (IPv4's minimum MTU less 40). */
    static final int MIN_MSS = 536 - 40;
    /** The largest LSO frame taken: the largest IP packet, an Ethernet header and a tag. */
    static final int MAX_LSO_FRAME = 65535 + 14 + 4;

    /**
     * The offload for the frame in {@code f[start, start+length)}; {@code csum} and {@code lso} are the per-packet
     * information values as unsigned numbers, or -1 when the packet has none. {@link TxOffload#NONE} when neither asks
     * for anything.
     */
    static long prepare(byte[] f, int start, int length, long csum, long lso) throws ProtocolException {
        boolean wantsLso = lso > 0;
        int c = csum < 0 ? 0 : (int) csum;
        if (!wantsLso && (c & (CSUM_TCP | CSUM_UDP | CSUM_IP_HEADER)) == 0) return TxOffload.NONE;
        long h = parse(f, start, start + length);
        if (wantsLso) return lso(f, start, h, (int) lso);
        if ((c & CSUM_IPV4) != 0 && !v4(h) || (c & CSUM_IPV6) != 0 && v4(h)) {
            throw new ProtocolException("a checksum offload for the other IP version than the frame's");
        }
        if ((c & CSUM_IP_HEADER) != 0) {
            if (!v4(h)) throw new ProtocolException("an IP header checksum asked for an IPv6 frame");
            ipv4HeaderChecksum(f, l3(h), ipHeader(h));
        }
        if ((c & (CSUM_TCP | CSUM_UDP)) == 0) return TxOffload.NONE;
        if ((c & CSUM_TCP) != 0 && (c & CSUM_UDP) != 0) throw new ProtocolException("both TCP and UDP checksums asked");
        boolean tcp = (c & CSUM_TCP) != 0;
        int l4 = transport(h, start, c >>> 16 & 0x3FF, tcp ? PROTO_TCP : PROTO_UDP);
        int offset = tcp ? 16 : 6;
        if (l4 + (tcp ? 20 : 8) > end(h)) throw new ProtocolException("frame cut short at its transport header");
        pseudoHeader(f, h, tcp ? PROTO_TCP : PROTO_UDP, l4, offset);
        return TxOffload.checksum(l4 - start, offset);
    }

    /** LSOv2: a TCP frame larger than one segment; its IP length fields and TCP pseudo-header made whole. */
    private static long lso(byte[] f, int start, long h, int info) throws ProtocolException {
        if ((info & LSO_V2) == 0) throw new ProtocolException("LSOv1 asked for (only LSOv2 is offered)");
        if (((info & LSO_IPV6) == 0) != v4(h)) throw new ProtocolException("LSOv2 for the other IP version");
        int mss = info & 0xFFFFF, end = end(h), l3 = l3(h);
        if (mss < MIN_MSS || mss > 65535) throw new ProtocolException("LSOv2 with an MSS of " + mss);
        if (end - start > MAX_LSO_FRAME) throw new ProtocolException("an LSO frame of " + (end - start));
        int l4 = transport(h, start, info >>> 20 & 0x3FF, PROTO_TCP);
        if (l4 + 20 > end) throw new ProtocolException("frame cut short at its TCP header");
        int tcpHeader = (f[l4 + 12] & 0xF0) >>> 2;
        if (tcpHeader < 20 || l4 + tcpHeader > end) throw new ProtocolException("TCP header of " + tcpHeader);
        if (v4(h)) {
            put16(f, l3 + 2, end - l3);
            ipv4HeaderChecksum(f, l3, ipHeader(h));
        } else {
            put16(f, l3 + 4, end - l3 - 40);
        }
        pseudoHeader(f, h, PROTO_TCP, l4, 16);
        return TxOffload.segmentation(
                TxOffload.checksum(l4 - start, 16),
                v4(h) ? TxOffload.GSO_TCPV4 : TxOffload.GSO_TCPV6,
                mss,
                l4 + tcpHeader - start);
    }

    // Where a frame's IP header is and what it says, packed in a long so that nothing is allocated per frame:
    // l3 (bits 0-17), the IP packet's end (18-35), IPv4 (36), the IP header's length (37-42), the protocol (43-50).
    private static final int POSITION_BITS = 18, MAX_POSITION = (1 << POSITION_BITS) - 1;

    private static long parse(byte[] f, int start, int end) throws ProtocolException {
        if (end > MAX_POSITION) throw new ProtocolException("a frame ending at " + end);
        int l3 = start + 14, type = u16(f, start + 12, end);
        if (type == ETHERTYPE_VLAN) {
            type = u16(f, start + 16, end);
            l3 += 4;
        }
        if (type == ETHERTYPE_IPV4) {
            int vihl = u8(f, l3, end), ipHeader = (vihl & 15) * 4;
            if (vihl >>> 4 != 4 || ipHeader < 20 || l3 + ipHeader > end) {
                throw new ProtocolException("offload asked for a frame without a whole IPv4 header");
            }
            int total = u16(f, l3 + 2, end);
            if (total != 0 && l3 + total > end) throw new ProtocolException("IPv4 length past the frame");
            return pack(l3, total == 0 ? end : l3 + total, true, ipHeader, u8(f, l3 + 9, end));
        }
        if (type == ETHERTYPE_IPV6) {
            if (u8(f, l3, end) >>> 4 != 6 || l3 + 40 > end) {
                throw new ProtocolException("offload asked for a frame without a whole IPv6 header");
            }
            int payload = u16(f, l3 + 4, end);
            if (payload != 0 && l3 + 40 + payload > end) throw new ProtocolException("IPv6 length past the frame");
            return pack(l3, payload == 0 ? end : l3 + 40 + payload, false, 40, u8(f, l3 + 6, end));
        }
        throw new ProtocolException("offload asked for a frame of ethertype 0x" + Integer.toHexString(type));
    }

    private static long pack(int l3, int end, boolean v4, int ipHeader, int proto) {
        return l3 | (long) end << POSITION_BITS | (v4 ? 1L : 0) << 36 | (long) ipHeader << 37 | (long) proto << 43;
    }

    private static int l3(long h) {
        return (int) (h & MAX_POSITION);
    }

    private static int end(long h) {
        return (int) (h >>> POSITION_BITS & MAX_POSITION);
    }

    private static boolean v4(long h) {
        return (h >>> 36 & 1) != 0;
    }

    private static int ipHeader(long h) {
        return (int) (h >>> 37 & 0x3F);
    }

    private static int proto(long h) {
        return (int) (h >>> 43 & 0xFF);
    }

    /**
     * The transport header's position from the guest's {@code offset} (from the frame's start): right after the IPv4
     * header, which names {@code proto}; for IPv6 after the fixed header (extension headers may come between when the
     * next header is not {@code proto} itself).
     */
    private static int transport(long h, int start, int offset, int proto) throws ProtocolException {
        int l4 = start + offset, l3 = l3(h), named = proto(h);
        boolean ok = v4(h)
                ? l4 == l3 + ipHeader(h) && named == proto
                : named == proto ? l4 == l3 + 40 : l4 >= l3 + 48 && l4 < end(h);
        if (!ok) {
            throw new ProtocolException(
                    "transport header at " + offset + " with IP protocol " + named + ", not where the IP header says");
        }
        return l4;
    }

    /** Writes the pseudo-header's folded sum (not complemented) into the checksum field at {@code l4 + offset}. */
    private static void pseudoHeader(byte[] f, long h, int proto, int l4, int offset) {
        long sum = v4(h) ? sum(f, l3(h) + 12, 8) : sum(f, l3(h) + 8, 32);
        sum += proto + (end(h) - l4);
        put16(f, l4 + offset, fold(sum));
    }

    /** Fills in an IPv4 header's checksum. */
    static void ipv4HeaderChecksum(byte[] f, int l3, int length) {
        put16(f, l3 + 10, 0);
        put16(f, l3 + 10, ~fold(sum(f, l3, length)) & 0xFFFF);
    }

    /** The ones'-complement sum of big-endian 16-bit words (an odd last byte padded with zero), not folded. */
    static long sum(byte[] f, int at, int length) {
        long s = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) s += (f[at + i] & 0xFF) << 8 | f[at + i + 1] & 0xFF;
        if (i < length) s += (f[at + i] & 0xFF) << 8;
        return s;
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xFFFF) + (s >>> 16);
        return (int) s;
    }

    private static void put16(byte[] f, int at, int v) {
        f[at] = (byte) (v >>> 8);
        f[at + 1] = (byte) v;
    }

    private static int u8(byte[] f, int at, int end) throws ProtocolException {
        if (at >= end) throw new ProtocolException("frame cut short at its headers");
        return f[at] & 0xFF;
    }

    private static int u16(byte[] f, int at, int end) throws ProtocolException {
        if (at + 2 > end) throw new ProtocolException("frame cut short at its headers");
        return (f[at] & 0xFF) << 8 | f[at + 1] & 0xFF;
    }
}
