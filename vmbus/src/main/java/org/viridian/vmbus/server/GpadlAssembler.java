package org.viridian.vmbus.server;

import java.util.HashMap;
import java.util.Map;
import org.viridian.vmbus.protocol.GpadlBody;
import org.viridian.vmbus.protocol.GpadlHeader;

/**
 * Collects a GPADL's page list from a GPADL_HEADER and the GPADL_BODY messages that follow it (parsed records).
 * Validates what it can before any page is used: one range, a page count that matches the range's byte count and
 * offset, a bounded size,
 * no body for an unknown handle, no more page numbers than announced.
 */
final class GpadlAssembler {
    /**
     * 64 MiB of pages: far above any ring Linux asks for, low enough that a guest cannot make the host allocate much.
     */
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

    /** The first message: its announced range list must be one range whose page count matches its bytes. */
    Step header(GpadlHeader h) {
        int relid = h.childRelid(), gpadl = h.gpadl(), buflen = h.rangeBufferLength();
        if (h.rangeCount() != 1)
            return new Refused(relid, gpadl, "GPADL with " + h.rangeCount() + " ranges (only 1 is supported)");
        if (buflen < 16 || (buflen - 8) % 8 != 0)
            return new Refused(relid, gpadl, "GPADL range_buflen " + buflen + " is malformed");
        int total = h.announcedPages();
        if (total < 1 || total > MAX_PAGES) return new Refused(relid, gpadl, "GPADL of " + total + " pages");
        if (h.byteOffset() >= 4096 || (h.byteOffset() + h.byteCount() + 4095) / 4096 != total) {
            return new Refused(
                    relid,
                    gpadl,
                    "GPADL byte count " + h.byteCount() + " at offset " + h.byteOffset() + " does not match " + total
                            + " pages");
        }
        if (pending.containsKey(gpadl))
            return new Refused(relid, gpadl, "GPADL handle " + gpadl + " is already being created");
        if (pending.size() >= MAX_PENDING)
            return new Refused(relid, gpadl, "more than " + MAX_PENDING + " GPADLs under construction");
        long[] pfns = new long[total];
        int here = Math.min(total, h.pfns().length);
        System.arraycopy(h.pfns(), 0, pfns, 0, here);
        return advance(gpadl, new Pending(relid, pfns, here));
    }

    /** A following message: more pages for a handle under construction, never more than announced. */
    Step body(GpadlBody m) {
        int gpadl = m.gpadl();
        Pending p = pending.remove(gpadl);
        if (p == null) return new Refused(-1, gpadl, "GPADL_BODY for unknown handle " + gpadl);
        int n = m.pfns().length;
        if (p.filled() + n > p.pfns().length)
            return new Refused(p.relid(), gpadl, "GPADL_BODY carries more pages than announced");
        System.arraycopy(m.pfns(), 0, p.pfns(), p.filled(), n);
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
