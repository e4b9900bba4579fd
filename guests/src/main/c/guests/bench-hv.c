/* bench-hv.elf: N fast HvSignalEvent hypercalls from CPL3 through the
 * hypercall page, each a round trip through the VMM's hypercall dispatcher.
 * CPL3 hypercalls are refused (#UD) unless the VM allows them, which only the
 * benchmark does; the TSS bitmap lets CPL3 reach the hypercall port 0xE8.
 * N: cmdline "n=N" (default 1000000). Connection: 0x7E58 (a host sink). */
#include "hv.h"

#define SINK 0x7E58

static uint32_t signal_event(void) { return hv_signal_event(SINK); }

static uint32_t bench(uint32_t n) {
    uint32_t failed = 0;
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; i++)
        failed += signal_event() != 0;
    uint64_t cycles = rdtsc() - t0;
    printf("hypercalls: %u (%u failed)\n", n, failed);
    printf("cycles: %llu (%llu per hypercall)\n", cycles, n ? udiv64(cycles, n, NULL) : 0);
    return failed;
}

void guest_main(void) {
    uint32_t n = (uint32_t)cmdline_u64("n", 1000000);
    hv_enable_hypercalls();
    printf("bench-hv: %u HvSignalEvent fast calls at CPL3\n", n);
    CHECK(run_user(bench, n) == 0, "hypercalls failed");
}
