package org.viridian.machine.boot;

import java.util.List;

/**
 * What a loader produced: the bootstrap processor's entry state and the memory map it told the kernel about.
 *
 * @param bsp         initial state of the bootstrap processor (APs wait for INIT/SIPI as usual)
 * @param memoryMap   the e820 map given to the kernel
 * @param kernelStart lowest guest-physical address the kernel image occupies
 * @param kernelEnd   end (exclusive) of the kernel image including BSS, or init_size for a bzImage
 * @param initrd      where the initrd/first module was placed, or null if there is none
 */
public record BootImage(EntryState bsp, List<E820Entry> memoryMap, long kernelStart, long kernelEnd, Range initrd) {
    public BootImage {
        memoryMap = List.copyOf(memoryMap);
    }

    /** A guest-physical range [address, address+size). */
    public record Range(long address, long size) {
        public long end() {
            return address + size;
        }
    }
}
