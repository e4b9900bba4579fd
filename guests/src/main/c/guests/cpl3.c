/* cpl3.elf: a CPU-bound loop at CPL3, printing through the ports the TSS
 * bitmap allows. Iterations: cmdline "iters=N" (default 200000000; 0: for ever). */
#include "rt.h"

/* A cheap integer hash step; the test recomputes it independently. iters 0:
 * for ever (a guest that never idles, for as long as a test needs one). */
static uint32_t hash_loop(uint32_t iters) {
    uint32_t x = 0x12345678;
    for (uint32_t i = 0; iters == 0 || i < iters; i++) {
        x = x * 0x9E3779B1u + i;
        x ^= x >> 15;
        /* C may assume a loop without side effects ends: this one must not. */
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

static uint32_t user_part(uint32_t iters) {
    printf("cpl: %u\n", current_cpl());
    if (current_cpl() != 3)
        return 1;
    uint64_t t0 = rdtsc();
    uint32_t h = hash_loop(iters);
    uint64_t cycles = rdtsc() - t0;
    printf("iterations: %u\n", iters);
    printf("hash: %08x\n", h);
    printf("cycles: %llu\n", cycles);
    return 0;
}

void guest_main(void) {
    uint32_t iters = (uint32_t)cmdline_u64("iters", 200000000);
    printf("switching to CPL3\n");
    if (run_user(user_part, iters) != 0)
        fail("user code did not run at CPL3");
    printf("back at CPL%u\n", current_cpl());
}
