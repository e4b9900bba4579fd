package org.viridian.vmbus.server;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Collects a GPADL's page list from a GPADL_HEADER and the GPADL_BODY messages that follow it. Validates what it can
 * before any page is used: one range, a page count that matches the range's byte count and offset, a bounded size,
 * no body for an unknown handle, no more page numbers than announced.
 */
final class GpadlAssembler {
    /** 64 MiB of pages: far above any ring Linux asks for, low enough that a guest cannot make the host allocate much. */
    static final int MAX_PAGES = 16384;
    /** GPADLs being assembled at once: a guest that starts many and never finishes them cannot grow host memory. */
    static final int MAX_PENDING = 16;

    record Pending(int relid, long[] pfns, int filled) {}

    private final Map<Integer, Pending> pending = new HashMap<>();

    /** Result of feeding a message: still waiting, complete (with pages), or refused (with a reason). */
    sealed interface Step permits Waiting, Complete, Refused {}

    record Waiting() implements Step {}

    record Complete(int relid, int gpadl, long[] pfns) implements Step {}

    record Refused(int relid, int gpadl, String why) implements Step {}

    /** relid u32 @8, gpadl u32 @12, range_buflen u16 @16, rangecount u16 @18, range {byte_count, byte_offset, pfn[]} @20. */
    Step header(ByteBuffer m) {
        if (m.limit() < 28) return new Refused(-1, -1, "GPADL_HEADER shorter than one range");
        int relid = m.getInt(8), gpadl = m.getInt(12);
        int buflen = Short.toUnsignedInt(m.getShort(16)), ranges = Short.toUnsignedInt(m.getShort(18));
        long byteCount = Integer.toUnsignedLong(m.getInt(20)), byteOffset = Integer.toUnsignedLong(m.getInt(24));
        if (ranges != 1) return new Refused(relid, gpadl, "GPADL with " + ranges + " ranges (only 1 is supported)");
        if (buflen < 16 || (buflen - 8) % 8 != 0) return new Refused(relid, gpadl, "GPADL range_buflen " + buflen + " is malformed");
        int total = (buflen - 8) / 8;
        if (total < 1 || total > MAX_PAGES) return new Refused(relid, gpadl, "GPADL of " + total + " pages");
        if (byteOffset >= 4096 || (byteOffset + byteCount + 4095) / 4096 != total) {
            return new Refused(relid, gpadl, "GPADL byte count " + byteCount + " at offset " + byteOffset + " does not match " + total + " pages");
        }
        if (pending.containsKey(gpadl)) return new Refused(relid, gpadl, "GPADL handle " + gpadl + " is already being created");
        if (pending.size() >= MAX_PENDING) return new Refused(relid, gpadl, "more than " + MAX_PENDING + " GPADLs under construction");
        long[] pfns = new long[total];
        int here = Math.min(total, (m.limit() - 28) / 8);
        for (int i = 0; i < here; i++) pfns[i] = m.getLong(28 + 8 * i);
        return advance(gpadl, new Pending(relid, pfns, here));
    }

    /** msgnumber u32 @8, gpadl u32 @12, pfn[] @16. */
    Step body(ByteBuffer m) {
        if (m.limit() < 24) return new Refused(-1, -1, "GPADL_BODY without page numbers");
        int gpadl = m.getInt(12);
        Pending p = pending.remove(gpadl);
        if (p == null) return new Refused(-1, gpadl, "GPADL_BODY for unknown handle " + gpadl);
        int n = (m.limit() - 16) / 8;
        if (p.filled() + n > p.pfns().length) return new Refused(p.relid(), gpadl, "GPADL_BODY carries more pages than announced");
        for (int i = 0; i < n; i++) p.pfns()[p.filled() + i] = m.getLong(16 + 8 * i);
        return advance(gpadl, new Pending(p.relid(), p.pfns(), p.filled() + n));
    }

    private Step advance(int gpadl, Pending p) {
        if (p.filled() < p.pfns().length) {
            pending.put(gpadl, p);
            return new Waiting();
        }
        return new Complete(p.relid(), gpadl, p.pfns());
    }
}
