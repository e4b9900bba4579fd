package org.viridian.partition.bus;

import java.util.Map;
import java.util.TreeMap;

/**
 * Routes trapped port I/O to the device that claims the port. Unclaimed ports behave like an empty ISA bus: reads
 * return all ones, writes are dropped. Registration happens before the VPs start; lookups are lock-free afterwards.
 */
public final class IoBus {
    private record Range(int first, int count, PortIoHandler handler) {}

    private final TreeMap<Integer, Range> ranges = new TreeMap<>();

    public synchronized void register(int first, int count, PortIoHandler handler) {
        if (first < 0 || count <= 0 || first + count > 0x10000) {
            throw new IllegalArgumentException("bad port range " + first + "+" + count);
        }
        Map.Entry<Integer, Range> below = ranges.floorEntry(first + count - 1);
        if (below != null && below.getValue().first() + below.getValue().count() > first) {
            throw new IllegalArgumentException(String.format(
                    "ports 0x%x+%d overlap 0x%x+%d",
                    first, count, below.getValue().first(), below.getValue().count()));
        }
        ranges.put(first, new Range(first, count, handler));
    }

    public PortIoHandler find(int port) {
        synchronized (this) {
            Map.Entry<Integer, Range> e = ranges.floorEntry(port);
            if (e != null && port < e.getValue().first() + e.getValue().count())
                return e.getValue().handler();
            return null;
        }
    }

    public int read(int port, int size) {
        PortIoHandler h = find(port);
        return h == null ? (int) ((1L << (size * 8)) - 1) : h.read(port, size);
    }

    public void write(int port, int size, int value) {
        PortIoHandler h = find(port);
        if (h != null) h.write(port, size, value);
    }
}
