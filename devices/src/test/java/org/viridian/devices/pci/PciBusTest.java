package org.viridian.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.viridian.devices.video.SyntheticVideo;
import org.viridian.partition.bus.IoBus;

/** Config mechanism #1 as Linux's arch/x86/pci/direct.c drives it, with Hyper-V's video function at slot 8. */
class PciBusTest {
    final IoBus io = new IoBus();

    PciBusTest() {
        PciBus pci = new PciBus();
        pci.plug(SyntheticVideo.PCI_SLOT, SyntheticVideo.pciFunction());
        io.register(PciBus.ADDRESS, 1, pci.addressPort());
        io.register(PciBus.DATA, 4, pci.dataPort());
    }

    int read(int bus, int dev, int reg, int size) {
        io.write(0xCF8, 4, 0x8000_0000 | bus << 16 | dev << 11 | (reg & 0xFC));
        return io.read(0xCFC + (reg & 3), size);
    }

    void write(int dev, int reg, int size, int value) {
        io.write(0xCF8, 4, 0x8000_0000 | dev << 11 | (reg & 0xFC));
        io.write(0xCFC + (reg & 3), size, value);
    }

    @Test
    void typeOneProbeReadsBackTheAddress() {
        io.write(0xCFB, 1, 1); // pci_check_type1's first byte write goes nowhere
        io.write(0xCF8, 4, 0x8000_0000);
        assertThat(io.read(0xCF8, 4)).isEqualTo(0x8000_0000);
    }

    @Test
    void aScanFindsOnlyTheVideoFunction() {
        assertThat(read(0, 8, 0, 4)).isEqualTo(0x5353_1414);
        assertThat(read(0, 8, 0x0A, 2)).as("class VGA").isEqualTo(0x0300);
        assertThat(read(0, 8, 0x0E, 1)).as("single-function type 0 header").isZero();
        assertThat(read(0, 8, 0x3D, 1)).as("no interrupt pin").isZero();
        assertThat(read(0, 0, 0, 4)).isEqualTo(-1);
        assertThat(read(0, 8, 0, 2)).isEqualTo(0x1414);
        assertThat(read(1, 8, 0, 4)).as("no bus 1").isEqualTo(-1);
        io.write(0xCF8, 4, 8 << 11); // enable bit clear: nothing selected
        assertThat(io.read(0xCFC, 2)).isEqualTo(0xFFFF);
    }

    @Test
    void barSizesAndMoves() {
        assertThat(read(0, 8, 0x10, 4)).isEqualTo((int) SyntheticVideo.PCI_BAR);
        write(8, 0x10, 4, -1);
        assertThat(read(0, 8, 0x10, 4)).isEqualTo(-(int) SyntheticVideo.PCI_BAR_SIZE);
        write(8, 0x10, 4, 0xE000_0000);
        assertThat(read(0, 8, 0x10, 4)).isEqualTo(0xE000_0000);
        write(8, 0x14, 4, -1);
        assertThat(read(0, 8, 0x14, 4)).as("no BAR 1").isZero();
        write(8, 0x00, 4, 0);
        assertThat(read(0, 8, 0, 4)).as("identity is read-only").isEqualTo(0x5353_1414);
        write(8, 0x04, 2, 0xFFFF);
        assertThat(read(0, 8, 0x04, 2)).as("memory, I/O, bus master").isEqualTo(7);
    }
}
