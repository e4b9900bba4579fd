/* bench-pio.elf: N 4-byte OUTs to the bench port (0xE0) from CPL3, each one
 * a VM exit the VMM answers. N: cmdline "n=N" (default 1000000). */
#include "rt.h"

static uint32_t bench(uint32_t n) {
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; i++)
        outl(PORT_BENCH, i);
    uint64_t cycles = rdtsc() - t0;
    uint32_t answer = inl(PORT_BENCH); /* the VMM's reply; ~0 under QEMU */
    printf("pio: %u exits\n", n);
    printf("cycles: %llu (%llu per exit)\n", cycles, n ? udiv64(cycles, n, NULL) : 0);
    printf("bench port reads %08x\n", answer);
    return 0;
}

void guest_main(void) {
    uint32_t n = (uint32_t)cmdline_u64("n", 1000000);
    printf("bench-pio: %u outs to port 0x%x at CPL3\n", n, PORT_BENCH);
    run_user(bench, n);
}
