/* The Hyper-V interface helpers of hv.h (TLFS sections on MSRs, hypercalls, SynIC, reference time). */
#include "hv.h"

static uint8_t hc_page[4096] __attribute__((aligned(4096)));
static uint8_t tsc_page[4096] __attribute__((aligned(4096)));
static uint8_t input[4096] __attribute__((aligned(4096)));
uint8_t hv_simp[4096] __attribute__((aligned(4096)));
uint8_t hv_siefp[4096] __attribute__((aligned(4096)));
static void *hc_entry = hc_page;

uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
void wrmsr(uint32_t msr, uint64_t v) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
void cpuid(uint32_t leaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

void hv_enable_hypercalls(void) {
    wrmsr(MSR_GUEST_OS_ID, 0x8100000000010000ull);
    wrmsr(MSR_HYPERCALL, (uint32_t)hc_page | 1);
    CHECK((rdmsr(MSR_HYPERCALL) & 1) && hc_page[0] != 0, "hypercall page not installed");
}

uint64_t hv_hypercall(uint64_t control, uint64_t in, uint64_t out) {
    uint32_t lo = (uint32_t)control, hi = (uint32_t)(control >> 32);
    __asm__ volatile("call *%[entry]"
                     : "+a"(lo), "+d"(hi)
                     : "b"((uint32_t)(in >> 32)), "c"((uint32_t)in), "D"((uint32_t)(out >> 32)), "S"((uint32_t)out),
                       [entry] "m"(hc_entry)
                     : "memory", "cc");
    return ((uint64_t)hi << 32) | lo;
}

uint16_t hv_post_message(uint32_t connection, uint32_t type, const void *payload, uint32_t size) {
    uint32_t *h = (uint32_t *)input;
    h[0] = connection, h[1] = 0, h[2] = type, h[3] = size;
    memcpy(input + 16, payload, size <= 240 ? size : 240);
    return (uint16_t)hv_hypercall(CALL_POST_MESSAGE, (uint32_t)input, 0);
}

/* ECX/EDX are clobbered by traps from CPL3 (see rt.h), so every register is an operand. */
uint16_t hv_signal_event(uint32_t connection) {
    uint32_t lo = CALL_SIGNAL_EVENT | (uint32_t)HV_FAST, hi = 0, b = 0, c = connection;
    __asm__ volatile("call *%[entry]" : "+a"(lo), "+d"(hi), "+b"(b), "+c"(c) : [entry] "m"(hc_entry)
                     : "memory", "cc", "esi", "edi");
    return lo & 0xFFFF;
}

void hv_synic_enable(unsigned sint, uint32_t vector_and_flags) {
    wrmsr(MSR_SIMP, (uint32_t)hv_simp | 1);
    wrmsr(MSR_SIEFP, (uint32_t)hv_siefp | 1);
    wrmsr(MSR_SINT0 + sint, vector_and_flags);
    wrmsr(MSR_SCONTROL, 1);
}

void hv_slot_done(unsigned sint) {
    struct hv_message *m = hv_slot(sint);
    m->type = 0;
    __asm__ volatile("mfence" ::: "memory");
    if (m->flags & 1) wrmsr(MSR_EOM, 0);
}

void hv_tsc_page_enable(void) {
    wrmsr(MSR_REFERENCE_TSC, (uint32_t)tsc_page | 1);
}

/* TLFS: ((tsc * scale) >> 64) + offset, retried while the sequence changes. */
uint64_t hv_time(void) {
    volatile uint32_t *seq = (volatile uint32_t *)tsc_page;
    for (;;) {
        uint32_t s = *seq;
        CHECK(s != 0, "reference TSC page is invalid (sequence 0)");
        uint64_t scale = *(volatile uint64_t *)(tsc_page + 8), offset = *(volatile uint64_t *)(tsc_page + 16);
        uint64_t tsc = rdtsc();
        /* 64x64 -> high 64 with 32-bit halves. */
        uint64_t a = tsc & 0xFFFFFFFF, b = tsc >> 32, c = scale & 0xFFFFFFFF, d = scale >> 32;
        uint64_t ac = a * c, ad = a * d, bc = b * c, bd = b * d;
        uint64_t mid = (ac >> 32) + (ad & 0xFFFFFFFF) + (bc & 0xFFFFFFFF);
        uint64_t hi = bd + (ad >> 32) + (bc >> 32) + (mid >> 32);
        if (*seq == s) return hi + offset;
    }
}
