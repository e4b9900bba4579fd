package org.viridian.vmbus.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.viridian.partition.memory.GuestMemory;

/**
 * A virtually contiguous view over guest pages listed by frame number (a GPADL's page list), as the guest sees its
 * ring buffer. Every page is checked to lie in the partition's RAM when the view is made, so later accesses cannot
 * reach another partition's memory or the host's.
 */
public final class GpaPages {
    private final MemorySegment[] pages;
    private final long[] pfns;

    public GpaPages(GuestMemory memory, long[] pfns) {
        this.pfns = pfns.clone();
        pages = new MemorySegment[pfns.length];
        for (int i = 0; i < pfns.length; i++) {
            long pfn = pfns[i];
            if (pfn < 0 || pfn > (Long.MAX_VALUE >> 12) || !memory.contains(pfn << 12, GuestMemory.PAGE_SIZE)) {
                throw new RingCorruptException(
                        String.format("GPADL page %d (pfn 0x%x) is outside the guest's RAM", i, pfn));
            }
            pages[i] = memory.slice(pfn << 12, GuestMemory.PAGE_SIZE);
        }
    }

    private GpaPages(MemorySegment[] pages, long[] pfns) {
        this.pages = pages;
        this.pfns = pfns;
    }

    /** The page frame numbers this view was made of (what a saved GPADL records). */
    public long[] pfns() {
        return pfns.clone();
    }

    public long size() {
        return (long) pages.length * GuestMemory.PAGE_SIZE;
    }

    /** Pages [first, first+count) as a view of their own (a ring within a GPADL). */
    public GpaPages range(int first, int count) {
        if (first < 0 || count < 0 || first + count > pages.length) {
            throw new RingCorruptException(
                    "page range " + first + "+" + count + " outside a " + pages.length + "-page GPADL");
        }
        MemorySegment[] sub = new MemorySegment[count];
        System.arraycopy(pages, first, sub, 0, count);
        return new GpaPages(sub, java.util.Arrays.copyOfRange(pfns, first, first + count));
    }

    public void read(long offset, byte[] dst, int dstOff, int len) {
        check(offset, len);
        while (len > 0) {
            int page = (int) (offset >>> 12), in = (int) (offset & 0xFFF);
            int n = Math.min(len, 4096 - in);
            MemorySegment.copy(pages[page], ValueLayout.JAVA_BYTE, in, dst, dstOff, n);
            offset += n;
            dstOff += n;
            len -= n;
        }
    }

    public void write(long offset, byte[] src, int srcOff, int len) {
        check(offset, len);
        while (len > 0) {
            int page = (int) (offset >>> 12), in = (int) (offset & 0xFFF);
            int n = Math.min(len, 4096 - in);
            MemorySegment.copy(src, srcOff, pages[page], ValueLayout.JAVA_BYTE, in, n);
            offset += n;
            srcOff += n;
            len -= n;
        }
    }

    /**
     * Aligned 32-bit fields shared with the guest (ring indices): read with acquire and written with release
     * semantics, so packet bytes are visible before the index that publishes them, in both directions.
     */
    public int getIntAcquire(long offset) {
        check(offset, 4);
        return (int) INT.getAcquire(pages[(int) (offset >>> 12)], offset & 0xFFF);
    }

    public void setIntRelease(long offset, int value) {
        check(offset, 4);
        INT.setRelease(pages[(int) (offset >>> 12)], offset & 0xFFF, value);
    }

    private static final java.lang.invoke.VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private void check(long offset, int len) {
        if (offset < 0 || len < 0 || offset > size() - len) {
            throw new RingCorruptException("access [" + offset + ", +" + len + ") outside " + size() + " bytes");
        }
    }
}
