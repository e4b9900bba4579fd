package org.viridian.partition.bus;

import java.util.Map;
import java.util.TreeMap;

/** Routes trapped MMIO (guest-physical addresses outside RAM) to devices; unclaimed reads return all ones. */
public final class MmioBus {
    private record Range(long base, long length, MmioHandler handler) {}

    private final TreeMap<Long, Range> ranges = new TreeMap<>();

    public synchronized void register(long base, long length, MmioHandler handler) {
        if (length <= 0 || base + length < base) throw new IllegalArgumentException("bad MMIO range");
        Map.Entry<Long, Range> below = ranges.floorEntry(base + length - 1);
        if (below != null && below.getValue().base() + below.getValue().length() > base) {
            throw new IllegalArgumentException(
                    String.format("MMIO 0x%x+0x%x overlaps 0x%x", base, length, below.getKey()));
        }
        ranges.put(base, new Range(base, length, handler));
    }

    private synchronized MmioHandler find(long address) {
        Map.Entry<Long, Range> e = ranges.floorEntry(address);
        if (e != null && address - e.getValue().base() < e.getValue().length())
            return e.getValue().handler();
        return null;
    }

    public long read(long address, int size) {
        MmioHandler h = find(address);
        return h == null ? (size >= 8 ? -1L : (1L << (size * 8)) - 1) : h.read(address, size);
    }

    public void write(long address, int size, long value) {
        MmioHandler h = find(address);
        if (h != null) h.write(address, size, value);
    }
}
