package org.viridian.partition.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A partition's RAM as everything above the partition sees it: guest-physical ranges, bounds-checked views, reads and
 * writes. Devices, VMBus and the hypervisor services never learn what backs it ({@link MemfdGuestMemory} for VMs).
 */
public interface GuestMemory extends AutoCloseable {
    /** Start of the 32-bit MMIO hole (IOAPIC, LAPIC, HPET, VMBus MMIO live in [3 GiB, 4 GiB)). */
    long MMIO_HOLE_START = 0xC000_0000L;

    long FOUR_GIB = 0x1_0000_0000L;
    long PAGE_SIZE = 4096;

    /** One contiguous RAM range: guest-physical start, length, offset into the backing file, and the host view. */
    record Region(long gpa, long size, long fileOffset, MemorySegment host) {
        public long end() {
            return gpa + size;
        }

        boolean contains(long addr, long len) {
            return addr >= gpa && len >= 0 && addr - gpa <= size - len;
        }
    }

    /** Guest RAM of {@code size} bytes (a multiple of 4 KiB, at least 1 MiB), zero-filled, in a memfd. */
    static GuestMemory allocate(long size) {
        return MemfdGuestMemory.allocate(size);
    }

    /** Total RAM in bytes. */
    long size();

    /** The RAM regions in guest-physical order (below and above the MMIO hole). */
    List<Region> regions();

    /** Whether [gpa, gpa+length) lies entirely inside one RAM region. */
    boolean contains(long gpa, long length);

    /**
     * A host view of guest-physical [gpa, gpa+length). Ranges that cross a region boundary or leave RAM are refused
     * with {@link GuestMemoryException}: callers handling guest-supplied addresses turn it into an error for that
     * guest only.
     */
    MemorySegment slice(long gpa, long length);

    default void write(long gpa, byte[] data) {
        MemorySegment.copy(data, 0, slice(gpa, data.length), ValueLayout.JAVA_BYTE, 0, data.length);
    }

    default byte[] read(long gpa, int length) {
        return slice(gpa, length).toArray(ValueLayout.JAVA_BYTE);
    }

    default long readLong(long gpa) {
        return slice(gpa, 8).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    default void writeLong(long gpa, long value) {
        slice(gpa, 8).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
    }

    default int readInt(long gpa) {
        return slice(gpa, 4).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    default void writeInt(long gpa, int value) {
        slice(gpa, 4).set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
    }

    /**
     * Bytes of this RAM that are in host memory now (the pages the guest, or a device, has touched and that are not
     * swapped out); -1 where the backing cannot tell.
     */
    default long residentBytes() {
        return -1;
    }

    /**
     * The pages (4 KiB, by index from the region's start) of {@code region} that may hold anything but zeros: those in
     * host memory. A page never touched reads as zeros without being looked at, so a reader that skips the others
     * neither reads them nor makes the host commit them. Where the backing cannot tell: all of them.
     */
    default java.util.BitSet possiblyNonZeroPages(Region region) {
        java.util.BitSet all = new java.util.BitSet();
        all.set(0, (int) (region.size() / 4096));
        return all;
    }

    /** Unmaps the RAM: views still held elsewhere fail with IllegalStateException from then on. */
    @Override
    void close();
}
