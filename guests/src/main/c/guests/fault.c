/* fault.elf: triple-faults on purpose. With an IDT of limit 0 the #UD can't
 * be delivered (-> #GP -> #DF -> shutdown); the VMM must report a crash. */
#include "rt.h"

void guest_main(void) {
    printf("about to triple fault\n");
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0\n\tud2" ::"m"(empty));
    fail("still running after a triple fault");
}
