package org.viridian.devices.storvsp;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.viridian.devices.scsi.ScsiData;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaRange;

/**
 * Turns a request's GPA ranges into host views of the guest's pages, at most {@code limit} bytes, merging pages that
 * are contiguous in guest-physical memory. Every page is checked to lie in this partition's RAM first.
 */
final class GuestBuffers {
    private GuestBuffers() {}

    /** Throws IllegalArgumentException naming the first page outside the guest's RAM. */
    static ScsiData of(GuestMemory memory, List<GpaRange> ranges, long limit) {
        List<MemorySegment> parts = new ArrayList<>();
        long left = limit;
        for (GpaRange r : ranges) {
            long inRange = Math.min(left, Integer.toUnsignedLong(r.byteCount()));
            long offset = r.byteOffset();
            long runStart = -1, runLength = 0;
            for (int i = 0; i < r.pfns().length && inRange > 0; i++) {
                long pfn = r.pfns()[i];
                if (pfn < 0 || pfn > (Long.MAX_VALUE >> 12))
                    throw new IllegalArgumentException("page number 0x" + Long.toHexString(pfn));
                long gpa = (pfn << 12) + offset, n = Math.min(4096 - offset, inRange);
                if (!memory.contains(gpa, n)) {
                    throw new IllegalArgumentException(String.format("data page 0x%x is outside the guest's RAM", pfn));
                }
                if (runStart >= 0 && runStart + runLength == gpa && memory.contains(runStart, runLength + n)) {
                    runLength += n;
                } else {
                    if (runStart >= 0) parts.add(memory.slice(runStart, runLength));
                    runStart = gpa;
                    runLength = n;
                }
                inRange -= n;
                left -= n;
                offset = 0;
            }
            if (runStart >= 0) parts.add(memory.slice(runStart, runLength));
        }
        return new ScsiData(parts);
    }
}
