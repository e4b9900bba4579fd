package org.viridian.machine.boot;

/**
 * One entry of the BIOS-style physical memory map handed to the kernel (e820 in boot_params, mmap in multiboot).
 *
 * @param address guest-physical start
 * @param size    length in bytes (positive)
 * @param type    what the range holds
 */
public record E820Entry(long address, long size, Type type) {
    public E820Entry {
        if (address < 0 || size <= 0) throw new IllegalArgumentException("bad e820 range " + address + "+" + size);
    }

    public long end() {
        return address + size;
    }

    /** E820 types; {@link #code()} is the value in the map (identical for multiboot mmap). */
    public enum Type {
        RAM(1),
        RESERVED(2),
        ACPI_RECLAIMABLE(3),
        ACPI_NVS(4);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }
}
