package org.viridian.partition.memory;

import org.viridian.kvm.sys.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A partition's RAM: one memfd (so it can be mapped again for save/restore, migration and sharing), mapped into this
 * process and laid out in guest-physical space below and above the 32-bit MMIO hole. Every access by guest-physical
 * address is bounds-checked against the RAM regions, so a guest-supplied address can never reach host memory outside
 * its own partition.
 */
public final class GuestMemory implements AutoCloseable {
    /** Start of the 32-bit MMIO hole (IOAPIC, LAPIC, HPET, VMBus MMIO live in [3 GiB, 4 GiB)). */
    public static final long MMIO_HOLE_START = 0xC000_0000L;
    public static final long FOUR_GIB = 0x1_0000_0000L;
    public static final long PAGE_SIZE = 4096;

    /** One contiguous RAM range: guest-physical start, length, offset into the memfd, and the host mapping. */
    public record Region(long gpa, long size, long fileOffset, MemorySegment host) {
        public long end() {
            return gpa + size;
        }

        boolean contains(long addr, long len) {
            return addr >= gpa && len >= 0 && addr - gpa <= size - len;
        }
    }

    private final int memfd;
    private final long size;
    private final MemorySegment mapping;
    private final List<Region> regions;
    /**
     * Scopes every view of guest RAM: closing the memory closes the arena first, so a device thread that still holds a
     * view gets IllegalStateException instead of touching unmapped memory (which would kill the whole JVM).
     */
    private final Arena scope;

    private GuestMemory(int memfd, long size, MemorySegment mapping, List<Region> regions, Arena scope) {
        this.scope = scope;
        this.memfd = memfd;
        this.size = size;
        this.mapping = mapping;
        this.regions = List.copyOf(regions);
    }

    /** Allocates {@code size} bytes of RAM (a multiple of 4 KiB, at least 1 MiB), zero-filled, lazily committed. */
    public static GuestMemory allocate(long size) {
        if (size < (1 << 20) || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest memory must be a multiple of 4 KiB and at least 1 MiB: " + size);
        }
        int fd = Libc.memfdCreate("viridian-guest-ram", Libc.MFD_CLOEXEC);
        try {
            Libc.ftruncate(fd, size);
            Arena scope = Arena.ofShared();
            MemorySegment map = Libc.mmap(size, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_SHARED | Libc.MAP_NORESERVE, fd, 0).reinterpret(size, scope, null);
            List<Region> regions = new ArrayList<>();
            long low = Math.min(size, MMIO_HOLE_START);
            regions.add(new Region(0, low, 0, map.asSlice(0, low)));
            if (size > low) {
                regions.add(new Region(FOUR_GIB, size - low, low, map.asSlice(low, size - low)));
            }
            return new GuestMemory(fd, size, map, regions, scope);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    /** Total RAM in bytes. */
    public long size() {
        return size;
    }

    /** The memfd backing all RAM, in region order (file offset = {@link Region#fileOffset()}). */
    public int memfd() {
        return memfd;
    }

    public List<Region> regions() {
        return regions;
    }

    /** Whether [gpa, gpa+length) lies entirely inside one RAM region. */
    public boolean contains(long gpa, long length) {
        return find(gpa, length) != null;
    }

    /**
     * A host view of guest-physical [gpa, gpa+length). Ranges that cross a region boundary or leave RAM are refused:
     * callers handling guest-supplied addresses turn the exception into an error for that guest only.
     */
    public MemorySegment slice(long gpa, long length) {
        Region r = find(gpa, length);
        if (r == null) {
            throw new GuestMemoryException(String.format("guest-physical range [0x%x, +0x%x) is outside RAM", gpa, length));
        }
        return r.host().asSlice(gpa - r.gpa(), length);
    }

    private Region find(long gpa, long length) {
        for (Region r : regions) {
            if (r.contains(gpa, length)) return r;
        }
        return null;
    }

    public void write(long gpa, byte[] data) {
        MemorySegment.copy(data, 0, slice(gpa, data.length), ValueLayout.JAVA_BYTE, 0, data.length);
    }

    public byte[] read(long gpa, int length) {
        return slice(gpa, length).toArray(ValueLayout.JAVA_BYTE);
    }

    public long readLong(long gpa) {
        return slice(gpa, 8).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    public void writeLong(long gpa, long value) {
        slice(gpa, 8).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
    }

    public int readInt(long gpa) {
        return slice(gpa, 4).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    public void writeInt(long gpa, int value) {
        slice(gpa, 4).set(ValueLayout.JAVA_INT_UNALIGNED, 0, value);
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
