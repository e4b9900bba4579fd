package org.viridian.partition.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.viridian.kvm.sys.Libc;
import org.viridian.kvm.sys.NativeException;

/**
 * Guest RAM in one memfd (so it can be mapped again for save/restore, migration and sharing), mapped into this process
 * and laid out in guest-physical space below and above the 32-bit MMIO hole. Every access by guest-physical address is
 * bounds-checked against the RAM regions, so a guest-supplied address can never reach host memory outside its own
 * partition.
 */
public final class MemfdGuestMemory implements GuestMemory {

    private final int memfd;
    private final long size;
    private final MemorySegment mapping;
    private final List<Region> regions;
    /**
     * Scopes every view of guest RAM: closing the memory closes the arena first, so a device thread that still holds a
     * view gets IllegalStateException instead of touching unmapped memory (which would kill the whole JVM).
     */
    private final Arena scope;

    private MemfdGuestMemory(int memfd, long size, MemorySegment mapping, List<Region> regions, Arena scope) {
        this.scope = scope;
        this.memfd = memfd;
        this.size = size;
        this.mapping = mapping;
        this.regions = List.copyOf(regions);
    }

    /** Allocates {@code size} bytes of RAM (a multiple of 4 KiB, at least 1 MiB), zero-filled, lazily committed. */
    public static MemfdGuestMemory allocate(long size) {
        if (size < (1 << 20) || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest memory must be a multiple of 4 KiB and at least 1 MiB: " + size);
        }
        int fd = Libc.memfdCreate("viridian-guest-ram", Libc.MFD_CLOEXEC);
        try {
            Libc.ftruncate(fd, size);
            Arena scope = Arena.ofShared();
            MemorySegment map = Libc.mmap(
                            size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_NORESERVE, fd, 0)
                    .reinterpret(size, scope, null);
            adviseHugePages(map);
            List<Region> regions = new ArrayList<>();
            long low = Math.min(size, MMIO_HOLE_START);
            regions.add(new Region(0, low, 0, map.asSlice(0, low)));
            if (size > low) {
                regions.add(new Region(FOUR_GIB, size - low, low, map.asSlice(low, size - low)));
            }
            return new MemfdGuestMemory(fd, size, map, regions, scope);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /**
     * Asks for transparent huge pages on the guest's RAM: where the host lets shared memory have them
     * ({@code /sys/kernel/mm/transparent_hugepage/shmem_enabled} advise, within_size or always), KVM then maps the guest
     * with 2 MiB pages — fewer nested-paging faults while the guest first touches its memory, fewer TLB misses after
     * (QEMU asks the same for its anonymous RAM). Elsewhere the advice has no effect. {@code -Dviridian.memory.hugepages
     * =false} leaves it out (to compare).
     */
    private static void adviseHugePages(MemorySegment map) {
        if (!Boolean.parseBoolean(System.getProperty("viridian.memory.hugepages", "true"))) return;
        try {
            Libc.madvise(map, Libc.MADV_HUGEPAGE);
        } catch (RuntimeException e) { // a kernel built without transparent huge pages refuses the advice (EINVAL)
        }
    }

    @Override
    public long size() {
        return size;
    }

    /** The memfd backing all RAM, in region order (file offset = {@link Region#fileOffset()}). */
    public int memfd() {
        return memfd;
    }

    @Override
    public List<Region> regions() {
        return regions;
    }

    @Override
    public boolean contains(long gpa, long length) {
        return find(gpa, length) != null;
    }

    @Override
    public MemorySegment slice(long gpa, long length) {
        Region r = find(gpa, length);
        if (r == null) {
            throw new GuestMemoryException(
                    String.format("guest-physical range [0x%x, +0x%x) is outside RAM", gpa, length));
        }
        return r.host().asSlice(gpa - r.gpa(), length);
    }

    /** Pages looked at per mincore call: a 64 KiB vector, whatever the RAM's size. */
    private static final long MINCORE_PAGES = 64 * 1024;

    /**
     * Exact: mincore over the memfd's mapping counts the memfd's pages in the page cache, i.e. those ever touched (by
     * the guest through KVM or by a device) and not swapped out. Pages never touched cost nothing and are not counted.
     */
    @Override
    public long residentBytes() {
        if (!scope.scope().isAlive()) return 0;
        long[] pages = {0};
        try {
            resident(mapping.address(), size / PAGE_SIZE, page -> pages[0]++);
        } catch (NativeException unmapped) {
            return 0; // closed meanwhile: nothing of it is resident
        }
        return pages[0] * PAGE_SIZE;
    }

    /**
     * mincore over the region's part of the mapping: a memfd page outside the page cache was never written (or was
     * given back) and reads as zeros. Reading such a page through the shared mapping would allocate it (tmpfs has no
     * shared zero page), which is what a plain scan of all RAM did to a save.
     */
    @Override
    public BitSet possiblyNonZeroPages(Region region) {
        BitSet pages = new BitSet();
        resident(region.host().address(), region.size() / PAGE_SIZE, page -> pages.set((int) page));
        return pages;
    }

    /** Calls {@code onPage} with the index of each of {@code count} pages from {@code address} that is resident. */
    private static void resident(long address, long count, java.util.function.LongConsumer onPage) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment vec = a.allocate(MINCORE_PAGES);
            for (long first = 0; first < count; first += MINCORE_PAGES) {
                long n = Math.min(MINCORE_PAGES, count - first);
                // The raw address, not a view in the RAM's scope: a view passed to a native call holds the scope, and
                // close() (on another thread) would fail for it. mincore reads no memory, so a race is harmless.
                Libc.mincore(
                        MemorySegment.ofAddress(address + first * PAGE_SIZE).reinterpret(n * PAGE_SIZE), vec);
                for (long i = 0; i < n; i++) if ((vec.get(ValueLayout.JAVA_BYTE, i) & 1) != 0) onPage.accept(first + i);
            }
        }
    }

    private Region find(long gpa, long length) {
        for (Region r : regions) {
            if (r.contains(gpa, length)) return r;
        }
        return null;
    }

    @Override
    public void close() {
        if (!scope.scope().isAlive()) return;
        MemorySegment raw = MemorySegment.ofAddress(mapping.address()).reinterpret(size);
        scope.close();
        Libc.munmap(raw);
        Libc.close(memfd);
    }
}
