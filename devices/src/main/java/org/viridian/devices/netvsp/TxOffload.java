package org.viridian.devices.netvsp;

/**
 * What a port must finish in a frame the guest transmits: a transport checksum to fill in and, for a large TCP send, the
 * segment size to cut it into. The fields are struct virtio_net_hdr's (csum_start, csum_offset, gso_type, gso_size,
 * hdr_len), which a TAP device with a vnet header takes as they are; they travel packed in one {@code long} so that
 * handing a frame to a port allocates nothing. {@link #NONE} (0) asks for nothing: the frame is complete.
 */
public final class TxOffload {
    private TxOffload() {}

    /** A complete frame. */
    public static final long NONE = 0;

    /** virtio_net_hdr gso_type values. */
    public static final int GSO_NONE = 0, GSO_TCPV4 = 1, GSO_TCPV6 = 4;

    // Layout: csum_start (16) | csum_offset (8) | gso_type (8) | gso_size (16) | hdr_len (16).
    private static final int START = 0, OFFSET = 16, TYPE = 24, SIZE = 32, HEADERS = 48;

    /**
     * Fill in the ones'-complement checksum of bytes [{@code start}, end of frame) at {@code start + offset} (the
     * field holds the pseudo-header's sum already).
     */
    public static long checksum(int start, int offset) {
        check(start, 0xFFFF, "checksum start");
        check(offset, 0xFF, "checksum offset");
        if (offset < 2) throw new IllegalArgumentException("checksum offset " + offset);
        return (long) start << START | (long) offset << OFFSET;
    }

    /**
     * Cut the TCP frame into segments of {@code mss} payload bytes after {@code headers} bytes of headers, each with
     * its IP header and TCP checksum filled in; {@code csum} is the {@link #checksum} part (the TCP checksum).
     */
    public static long segmentation(long csum, int gsoType, int mss, int headers) {
        if (gsoType != GSO_TCPV4 && gsoType != GSO_TCPV6) throw new IllegalArgumentException("GSO type " + gsoType);
        check(mss, 0xFFFF, "MSS");
        check(headers, 0xFFFF, "header length");
        if (mss == 0 || csum == NONE) throw new IllegalArgumentException("segmentation needs an MSS and a checksum");
        return csum | (long) gsoType << TYPE | (long) mss << SIZE | (long) headers << HEADERS;
    }

    private static void check(int v, int max, String what) {
        if (v < 0 || v > max) throw new IllegalArgumentException(what + " " + v);
    }

    /** Whether a checksum is to be filled in (virtio's NEEDS_CSUM). */
    public static boolean needsChecksum(long o) {
        return csumOffset(o) != 0;
    }

    public static int csumStart(long o) {
        return (int) (o >>> START) & 0xFFFF;
    }

    public static int csumOffset(long o) {
        return (int) (o >>> OFFSET) & 0xFF;
    }

    public static int gsoType(long o) {
        return (int) (o >>> TYPE) & 0xFF;
    }

    public static int gsoSize(long o) {
        return (int) (o >>> SIZE) & 0xFFFF;
    }

    public static int headerLength(long o) {
        return (int) (o >>> HEADERS) & 0xFFFF;
    }

    /** The same request for the frame with {@code bytes} more in front (an 802.1Q tag put in). */
    public static long shifted(long o, int bytes) {
        if (o == NONE) return NONE;
        long start = csumStart(o) + bytes, headers = gsoType(o) == GSO_NONE ? 0 : headerLength(o) + bytes;
        return (o & ~(0xFFFFL << START | 0xFFFFL << HEADERS)) | start << START | headers << HEADERS;
    }

    public static String toString(long o) {
        if (o == NONE) return "none";
        return "csum " + csumStart(o) + "+" + csumOffset(o)
                + (gsoType(o) == GSO_NONE
                        ? ""
                        : ", gso " + gsoType(o) + " mss " + gsoSize(o) + " hdr " + headerLength(o));
    }
}
