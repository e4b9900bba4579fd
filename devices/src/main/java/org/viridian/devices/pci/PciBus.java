package org.viridian.devices.pci;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.viridian.partition.bus.PortIoHandler;

/**
 * PCI bus 0 through configuration mechanism #1, as Linux's pci_direct_conf1 drives it: a 32-bit address at 0xCF8
 * (enable bit 31, bus, device, function, register) and the selected dword at 0xCFC-0xCFF. Absent functions read all
 * ones, so a scan finds only what is plugged in; other buses are absent.
 */
public final class PciBus {
    public static final int ADDRESS = 0xCF8, DATA = 0xCFC;
    private final Map<Integer, PciFunction> functions = new ConcurrentHashMap<>();
    private volatile int address;

    /** Plugs {@code f} in at bus 0, {@code device} (0-31), function 0. */
    public void plug(int device, PciFunction f) {
        if (device < 0 || device > 31) throw new IllegalArgumentException("device " + device);
        if (functions.putIfAbsent(device << 3, f) != null)
            throw new IllegalArgumentException("slot " + device + " taken");
    }

    /** The address register (register it at {@link #ADDRESS}, one port: only dword accesses select). */
    public PortIoHandler addressPort() {
        return new PortIoHandler() {
            @Override
            public int read(int port, int size) {
                return size == 4 ? address : -1;
            }

            @Override
            public void write(int port, int size, int value) {
                if (size == 4) address = value & 0x80FF_FFFC;
            }
        };
    }

    /** The data window (register it at {@link #DATA}, four ports). */
    public PortIoHandler dataPort() {
        return new PortIoHandler() {
            @Override
            public int read(int port, int size) {
                PciFunction f = selected();
                int offset = (address & 0xFC) + (port - DATA);
                if (f == null || offset + size > (address & 0xFC) + 4) return ones(size);
                return f.readConfig(offset, size);
            }

            @Override
            public void write(int port, int size, int value) {
                PciFunction f = selected();
                int offset = (address & 0xFC) + (port - DATA);
                if (f != null && offset + size <= (address & 0xFC) + 4) f.writeConfig(offset, size, value);
            }
        };
    }

    private PciFunction selected() {
        int a = address;
        if (a >= 0 || ((a >>> 16) & 0xFF) != 0) return null; // disabled, or a bus other than 0
        return functions.get((a >>> 8) & 0xFF);
    }

    private static int ones(int size) {
        return size == 4 ? -1 : (1 << (size * 8)) - 1;
    }
}
