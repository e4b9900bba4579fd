package org.viridian.devices.legacy;

import java.util.function.Consumer;
import org.viridian.partition.PartitionExit;
import org.viridian.partition.bus.PortIoHandler;

/**
 * The part of the i8042 keyboard controller an OS touches without a keyboard: status reads (nothing to read, ready to
 * accept) and the 0xFE "pulse reset line" command, which Linux uses for reboot=k.
 */
public final class I8042 implements PortIoHandler {
    public static final int DATA = 0x60, COMMAND = 0x64;
    private static final int CMD_RESET = 0xFE;
    private final Consumer<PartitionExit> exit;

    public I8042(Consumer<PartitionExit> exit) {
        this.exit = exit;
    }

    @Override
    public int read(int port, int size) {
        return port == COMMAND ? 0x1C : 0x00; // status: system flag, last write was a command, input buffer empty
    }

    @Override
    public void write(int port, int size, int value) {
        if (port == COMMAND && (value & 0xFF) == CMD_RESET) exit.accept(new PartitionExit.Reset());
    }
}
