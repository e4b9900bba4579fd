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
        Frame h = Frame.parse(f, start, start + length);
        if (wantsLso) return lso(f, h, (int) lso);
        if ((c & CSUM_IPV4) != 0 && !h.v4 || (c & CSUM_IPV6) != 0 && h.v4) {
            throw new ProtocolException("a checksum offload for the other IP version than the frame's");
        }
        if ((c & CSUM_IP_HEADER) != 0) {
            if (!h.v4) throw new ProtocolException("an IP header checksum asked for an IPv6 frame");
            ipv4HeaderChecksum(f, h.l3, h.ipHeader);
        }
        if ((c & (CSUM_TCP | CSUM_UDP)) == 0) return TxOffload.NONE;
        if ((c & CSUM_TCP) != 0 && (c & CSUM_UDP) != 0) throw new ProtocolException("both TCP and UDP checksums asked");
        boolean tcp = (c & CSUM_TCP) != 0;
        int l4 = h.transport(c >>> 16 & 0x3FF, tcp ? PROTO_TCP : PROTO_UDP);
        int offset = tcp ? 16 : 6;
        if (l4 + (tcp ? 20 : 8) > h.end) throw new ProtocolException("frame cut short at its transport header");
        pseudoHeader(f, h, tcp ? PROTO_TCP : PROTO_UDP, l4, offset);
        return TxOffload.checksum(l4 - start, offset);
    }

    /** LSOv2: a TCP frame larger than one segment; its IP length fields and TCP pseudo-header made whole. */
    private static long lso(byte[] f, Frame h, int info) throws ProtocolException {
        if ((info & LSO_V2) == 0) throw new ProtocolException("LSOv1 asked for (only LSOv2 is offered)");
        if (((info & LSO_IPV6) == 0) != h.v4) throw new ProtocolException("LSOv2 for the other IP version");
        int mss = info & 0xFFFFF;
        if (mss < MIN_MSS || mss > 65535) throw new ProtocolException("LSOv2 with an MSS of " + mss);
        if (h.end - h.start > MAX_LSO_FRAME) throw new ProtocolException("an LSO frame of " + (h.end - h.start));
        int l4 = h.transport(info >>> 20 & 0x3FF, PROTO_TCP);
        if (l4 + 20 > h.end) throw new ProtocolException("frame cut short at its TCP header");
        int tcpHeader = (f[l4 + 12] & 0xF0) >>> 2;
        if (tcpHeader < 20 || l4 + tcpHeader > h.end) throw new ProtocolException("TCP header of " + tcpHeader);
        if (h.v4) {
            put16(f, h.l3 + 2, h.end - h.l3);
            ipv4HeaderChecksum(f, h.l3, h.ipHeader);
        } else {
            put16(f, h.l3 + 4, h.end - h.l3 - 40);
        }
        pseudoHeader(f, h, PROTO_TCP, l4, 16);
        return TxOffload.segmentation(
                TxOffload.checksum(l4 - h.start, 16),
                h.v4 ? TxOffload.GSO_TCPV4 : TxOffload.GSO_TCPV6,
                mss,
                l4 + tcpHeader - h.start);
    }

    /** Where a frame's IP header is and what it says. */
    private record Frame(byte[] f, int start, int end, int l3, boolean v4, int ipHeader, int proto) {
        static Frame parse(byte[] f, int start, int end) throws ProtocolException {
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
                return new Frame(f, start, total == 0 ? end : l3 + total, l3, true, ipHeader, u8(f, l3 + 9, end));
            }
            if (type == ETHERTYPE_IPV6) {
                if (u8(f, l3, end) >>> 4 != 6 || l3 + 40 > end) {
                    throw new ProtocolException("offload asked for a frame without a whole IPv6 header");
                }
                int payload = u16(f, l3 + 4, end);
                if (payload != 0 && l3 + 40 + payload > end) throw new ProtocolException("IPv6 length past the frame");
                return new Frame(f, start, payload == 0 ? end : l3 + 40 + payload, l3, false, 40, u8(f, l3 + 6, end));
            }
            throw new ProtocolException("offload asked for a frame of ethertype 0x" + Integer.toHexString(type));
        }

        /**
         * The transport header's position from the guest's {@code offset} (from the frame's start): right after the
         * IPv4 header, which names {@code proto}; for IPv6 after the fixed header (extension headers may come between
         * when the next header is not {@code proto} itself).
         */
        int transport(int offset, int proto) throws ProtocolException {
            int l4 = start + offset;
            boolean ok = v4
                    ? l4 == l3 + ipHeader && this.proto == proto
                    : this.proto == proto ? l4 == l3 + 40 : l4 >= l3 + 48 && l4 < end;
            if (!ok) {
                throw new ProtocolException("transport header at " + offset + " with IP protocol " + this.proto
                        + ", not where the IP header says");
            }
            return l4;
        }
    }

    /** Writes the pseudo-header's folded sum (not complemented) into the checksum field at {@code l4 + offset}. */
    private static void pseudoHeader(byte[] f, Frame h, int proto, int l4, int offset) {
        long sum = h.v4 ? sum(f, h.l3 + 12, 8) : sum(f, h.l3 + 8, 32);
        sum += proto + (h.end - l4);
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
