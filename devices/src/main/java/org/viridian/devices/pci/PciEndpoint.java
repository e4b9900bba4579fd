package org.viridian.devices.pci;

/**
 * A type 0 (endpoint) configuration header with fixed identity and up to six 32-bit memory BARs. Software sizes a BAR
 * the standard way (write all ones, read back the size mask) and may move it; the command register keeps the memory,
 * I/O and bus-master enables; everything else is read-only.
 */
public final class PciEndpoint implements PciFunction {
    private static final int COMMAND = 0x04, BAR0 = 0x10, INTERRUPT_LINE = 0x3C;
    private final byte[] config = new byte[256];
    private final long[] barSizes = new long[6];

    /** {@code classCode}: base class, sub-class and programming interface (0x030000: VGA-compatible display). */
    public PciEndpoint(int vendor, int device, int classCode, int subsystemVendor, int subsystem) {
        put(0x00, 2, vendor);
        put(0x02, 2, device);
        put(0x08, 4, classCode << 8);
        put(0x2C, 2, subsystemVendor);
        put(0x2E, 2, subsystem);
        put(INTERRUPT_LINE, 1, 0xFF);
    }

    /** Memory BAR {@code index} at {@code base}, {@code size} bytes (a power of two of at least 16). */
    public PciEndpoint memoryBar(int index, long base, long size, boolean prefetchable) {
        if (Long.bitCount(size) != 1
                || size < 16
                || size > 1L << 31
                || (base & (size - 1)) != 0
                || base + size > 1L << 32)
            throw new IllegalArgumentException(
                    "BAR of 0x" + Long.toHexString(size) + " at 0x" + Long.toHexString(base));
        barSizes[index] = size;
        put(BAR0 + 4 * index, 4, (int) base | (prefetchable ? 0x08 : 0));
        return this;
    }

    @Override
    public synchronized int readConfig(int offset, int size) {
        int v = 0;
        for (int i = size - 1; i >= 0; i--) v = v << 8 | (config[offset + i] & 0xFF);
        return v;
    }

    @Override
    public synchronized void writeConfig(int offset, int size, int value) {
        if (offset == COMMAND && size >= 1) {
            config[COMMAND] = (byte) (value & 0x07);
        } else if (offset == INTERRUPT_LINE && size == 1) {
            config[INTERRUPT_LINE] = (byte) value;
        } else if (offset >= BAR0 && offset < BAR0 + 24 && size == 4) {
            int i = (offset - BAR0) / 4;
            long bar = barSizes[i];
            if (bar == 0) return; // no BAR there: reads stay 0
            int flags = readConfig(offset, 4) & 0xF;
            put(offset, 4, (value & (int) ~(bar - 1)) | flags);
        }
    }

    private void put(int offset, int size, int value) {
        for (int i = 0; i < size; i++) config[offset + i] = (byte) (value >>> (8 * i));
    }
}
