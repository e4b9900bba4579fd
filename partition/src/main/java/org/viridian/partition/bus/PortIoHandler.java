package org.viridian.partition.bus;

/** A device's port-I/O registers. Called on the VP thread that trapped; must not block on I/O. */
public interface PortIoHandler {
    /** Value of an IN of {@code size} (1, 2 or 4) bytes at {@code port}. */
    int read(int port, int size);

    void write(int port, int size, int value);
}
