package org.viridian.partition.bus;

/** A device's memory-mapped registers. Called on the VP thread that trapped; must not block on I/O. */
public interface MmioHandler {
    long read(long address, int size);

    void write(long address, int size, long value);
}
