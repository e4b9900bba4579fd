/* fault.elf: triple-faults on purpose. With an IDT of limit 0 no exception
 * can be delivered (-> #GP -> #DF -> shutdown); the VMM must report a crash.
 * The first exception comes from a WRMSR to an MSR no one implements (a
 * reserved synthetic MSR, #GP under QEMU and Viridian alike): the write is an
 * exit, so the VMM's flight recorder can show the fault being raised. */
#include "rt.h"

void guest_main(void) {
    printf("about to triple fault\n");
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0\n\t"
                     "wrmsr\n\t"
                     "ud2" ::"m"(empty), "c"(0x400000FFu), "a"(0), "d"(0));
    fail("still running after a triple fault");
}
