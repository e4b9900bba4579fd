package org.viridian.vmbus.ring;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One range of a GPA-direct packet (VM_PKT_DATA_USING_GPA_DIRECT): {@code byteCount} bytes starting {@code byteOffset}
 * into the first of the listed guest pages. A VSP moves data straight to or from these pages.
 */
public record GpaRange(int byteCount, int byteOffset, long[] pfns) {
    /** Ranges one packet may carry: storvsc and netvsc send one; a bound keeps a hostile guest from making many. */
    static final int MAX_RANGES = 64;

    /**
     * The range list between a GPA-direct packet's descriptor and its data: u32 reserved, u32 range count, then per
     * range u32 byte count, u32 byte offset and as many u64 page numbers as the two need. Everything is checked against
     * the bytes the packet really has; a list no correct guest writes raises {@link RingCorruptException}.
     */
    public static List<GpaRange> parse(Packet p) {
        if (p.type() != Packet.DATA_USING_GPA_DIRECT)
            throw new RingCorruptException("packet type " + p.type() + " is not GPA-direct");
        ByteBuffer h = p.extraHeaders();
        if (h.remaining() < 8) throw new RingCorruptException("GPA-direct packet without its range count");
        int count = h.getInt(4);
        if (count < 0 || count > MAX_RANGES)
            throw new RingCorruptException("GPA-direct packet with " + Integer.toUnsignedString(count) + " ranges");
        List<GpaRange> ranges = new ArrayList<>(count);
        int at = 8;
        for (int i = 0; i < count; i++) {
            if (h.limit() - at < 8)
                throw new RingCorruptException("GPA-direct range " + i + " runs past the packet's headers");
            int len = h.getInt(at), offset = h.getInt(at + 4);
            if (len < 0 || offset < 0 || offset >= 4096) {
                throw new RingCorruptException("GPA-direct range " + i + ": " + Integer.toUnsignedString(len)
                        + " bytes at offset " + Integer.toUnsignedString(offset));
            }
            int pages = (int) ((offset + (long) len + 4095) / 4096);
            if (h.limit() - at - 8 < pages * 8L)
                throw new RingCorruptException("GPA-direct range " + i + " lists fewer than its " + pages + " pages");
            long[] pfns = new long[pages];
            for (int k = 0; k < pages; k++) pfns[k] = h.getLong(at + 8 + 8 * k);
            ranges.add(new GpaRange(len, offset, pfns));
            at += 8 + 8 * pages;
        }
        return ranges;
    }
}
