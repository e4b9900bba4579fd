package org.viridian.devices.legacy;

import java.util.function.Consumer;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.bus.PortIoHandler;

/**
 * QEMU's isa-debug-exit at port 0xF4: writing v ends the VM with exit status (v << 1) | 1, so test guests written for
 * QEMU run unchanged.
 */
public final class DebugExitPort implements PortIoHandler {
    public static final int PORT = 0xF4, SIZE = 4;
    private final Consumer<PartitionExit> exit;

    public DebugExitPort(Consumer<PartitionExit> exit) {
        this.exit = exit;
    }

    @Override
    public int read(int port, int size) {
        return (int) ((1L << (size * 8)) - 1);
    }

    @Override
    public void write(int port, int size, int value) {
        int v = size == 4 ? value : value & ((1 << (size * 8)) - 1);
        exit.accept(new PartitionExit.DebugExit((v << 1) | 1));
    }
}
