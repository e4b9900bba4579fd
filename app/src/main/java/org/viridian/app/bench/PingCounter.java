package org.viridian.app.bench;

import org.viridian.partition.bus.PortIoHandler;

/**
 * Counts round trips and times the first to the last (start-up and shutdown excluded, as in the C loop). As a port
 * device it is port 0xE0 of the bench guest, where every OUT is one exit round trip.
 */
final class PingCounter implements PortIoHandler {
    static final int PORT = 0xE0;
    private long count, first, last;

    @Override
    public int read(int port, int size) {
        return (int) count;
    }

    @Override
    public void write(int port, int size, int value) {
        tick();
    }

    void tick() {
        long t = System.nanoTime();
        if (count++ == 0) first = t;
        last = t;
    }

    long count() {
        return count;
    }

    /** Exits per second between the first and the last ping (start-up and shutdown excluded, as in the C loop). */
    double rate() {
        return count > 1 ? (count - 1) / ((last - first) / 1e9) : 0;
    }

    double seconds() {
        return (last - first) / 1e9;
    }
}
