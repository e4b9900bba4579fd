package org.viridian.devices.pci;

/** One PCI function's 256-byte configuration space as the bus sees it: aligned reads and writes of 1, 2 or 4 bytes. */
public interface PciFunction {
    int readConfig(int offset, int size);

    void writeConfig(int offset, int size, int value);
}
