/* hello.elf: the smallest end-to-end check of the boot ABI: serial output,
 * the Multiboot info (command line, memory size) and the exit port. */
#include "rt.h"

void guest_main(void) {
    printf("Hello from Viridian test guest\n");
    printf("cmdline: %s\n", cmdline());
    if (!(boot_info->flags & MB_INFO_MEM))
        fail("no memory size in the multiboot info (flags %x)", boot_info->flags);
    /* mem_upper counts from 1 MiB up to the first hole; round up to MiB. */
    printf("memory: %u MiB (lower %u KiB, upper %u KiB)\n", (boot_info->mem_upper + 1024 + 1023) / 1024,
           boot_info->mem_lower, boot_info->mem_upper);
    if (boot_info->flags & MB_INFO_MMAP) {
        uint64_t usable = 0;
        uint32_t regions = 0;
        for (uint32_t off = 0; off < boot_info->mmap_length; regions++) {
            const struct mb_mmap_entry *e = (const void *)(uintptr_t)(boot_info->mmap_addr + off);
            if (e->type == 1)
                usable += e->len;
            off += e->size + 4;
        }
        printf("memory map: %u regions, %llu KiB usable\n", regions, usable >> 10);
    }
}
