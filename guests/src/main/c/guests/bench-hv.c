/* bench-hv.elf: N fast HvSignalEvent hypercalls from CPL3 through the
 * hypercall page, each a round trip through the VMM's hypercall dispatcher.
 * CPL3 hypercalls are refused (#UD) unless the VM allows them, which only the
 * benchmark does; the TSS bitmap lets CPL3 reach the hypercall port 0xE8.
 * N: cmdline "n=N" (default 1000000). Connection: 0x7E58 (a host sink). */
#include "rt.h"

#define MSR_GUEST_OS_ID 0x40000000
#define MSR_HYPERCALL 0x40000001
#define CALL_SIGNAL_EVENT_FAST (0x005Dull | (1ull << 16))
#define SINK 0x7E58

static uint8_t hc_page[4096] __attribute__((aligned(4096)));
static void *hc_entry = hc_page;

static void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* 32-bit fast call: EDX:EAX control, EBX:ECX input; status in AX. ECX/EDX are
 * clobbered anyway by traps from CPL3 (see rt.h), so everything is an operand. */
static uint32_t signal_event(void) {
    uint32_t lo = (uint32_t)CALL_SIGNAL_EVENT_FAST, hi = 0, b = 0, c = SINK;
    __asm__ volatile("call *%[entry]" : "+a"(lo), "+d"(hi), "+b"(b), "+c"(c) : [entry] "m"(hc_entry)
                     : "memory", "cc", "esi", "edi");
    return lo & 0xFFFF;
}

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
    wrmsr(MSR_GUEST_OS_ID, 0x8100000000010000ull);
    wrmsr(MSR_HYPERCALL, (uint32_t)hc_page | 1);
    printf("bench-hv: %u HvSignalEvent fast calls at CPL3\n", n);
    CHECK(run_user(bench, n) == 0, "hypercalls failed");
}
