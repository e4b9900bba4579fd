package org.viridian.devices.legacy;

import java.util.function.Consumer;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.bus.PortIoHandler;

/** The PCI reset control register at 0xCF9 (also the FADT reset register): bit 2 with bit 1 resets the machine. */
public final class ResetControl implements PortIoHandler {
    public static final int PORT = 0xCF9;
    private final Consumer<PartitionExit> exit;
    private int value;

    public ResetControl(Consumer<PartitionExit> exit) {
        this.exit = exit;
    }

    @Override
    public int read(int port, int size) {
        return value;
    }

    @Override
    public void write(int port, int size, int v) {
        value = v & 0x0E;
        if ((v & 0x04) != 0) exit.accept(new PartitionExit.Reset());
    }
}
