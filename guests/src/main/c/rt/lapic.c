/* Local APIC (xAPIC MMIO, SDM vol. 3 ch. 10) and AP startup. */
#include "rt.h"

void lapic_enable(void) {
    /* Software-enable (SVR bit 8) with our spurious vector. The global
     * enable in IA32_APIC_BASE is on after reset. */
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
}

#define LVT_MASKED (1u << 16)
#define TIMER_DIV_1 0xB

void lapic_delay_ns(uint32_t ns) {
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_SPURIOUS);
    lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
    while (0xFFFFFFFF - lapic_read(LAPIC_TIMER_CUR) < ns)
        cpu_relax();
    lapic_write(LAPIC_TIMER_INIT, 0); /* stop it */
}

void lapic_timer_oneshot(uint8_t vector, uint32_t count) {
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
    lapic_write(LAPIC_LVT_TIMER, vector); /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_INIT, count);
}

#define ICR_PENDING (1u << 12)

void lapic_send_ipi(uint32_t apic_id, uint32_t cmd) {
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, cmd); /* this write sends it */
    for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_PENDING); i++)
        cpu_relax();
}

/* ---- SMP ---- */
#define TRAMPOLINE 0x8000 /* page 8: free conventional memory */
#define ICR_INIT 0x4500   /* delivery mode INIT, level assert */
#define ICR_SIPI 0x4600   /* delivery mode start-up, level assert */

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_gdtr[];
/* 8 KiB per AP, see ap_entry32; in .bss.stacks so _start need not clear it. */
uint8_t ap_stacks[(MAX_CPUS - 1) * 8192] __attribute__((aligned(16), section(".bss.stacks")));
volatile uint32_t ap_arrivals;    /* bumped by each AP in ap_entry32 */
static volatile uint32_t ap_done; /* APs that have run ap_fn */
static void (*volatile ap_fn)(int);

_Noreturn void ap_main(int cpu_index) {
    idt_load();
    ap_fn(cpu_index);
    __atomic_add_fetch(&ap_done, 1, __ATOMIC_RELEASE);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static bool wait_arrivals(uint32_t want, uint32_t ms) {
    for (uint32_t i = 0; i < ms * 10 && ap_arrivals < want; i++)
        lapic_delay_ns(100000);
    return ap_arrivals >= want;
}

int smp_start_aps(void (*fn)(int cpu_index)) {
    uint32_t ids[MAX_CPUS];
    int n = acpi_cpu_apic_ids(ids, MAX_CPUS);
    if (n < 0)
        fail("no MADT found");
    if (n > MAX_CPUS)
        fail("%d CPUs in the MADT, at most %d supported", n, MAX_CPUS);
    ap_fn = fn;
    memcpy((void *)TRAMPOLINE, ap_trampoline_start, ap_trampoline_end - ap_trampoline_start);
    __asm__ volatile("sgdt %0" : "=m"(*(char(*)[6])(TRAMPOLINE + (ap_gdtr - ap_trampoline_start))));
    lapic_enable();
    uint32_t self = lapic_id(), started = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] == self)
            continue;
        /* INIT, 10 ms, SIPI, 200 us, SIPI unless the AP already arrived
         * (SDM vol. 3 8.4.4.1). One AP at a time, so CPU indexes follow
         * MADT order; each then runs fn concurrently with the others. */
        lapic_send_ipi(ids[i], ICR_INIT);
        lapic_delay_ns(10000000);
        lapic_send_ipi(ids[i], ICR_SIPI | (TRAMPOLINE >> 12));
        lapic_delay_ns(200000);
        if (ap_arrivals <= started)
            lapic_send_ipi(ids[i], ICR_SIPI | (TRAMPOLINE >> 12));
        if (!wait_arrivals(started + 1, 1000))
            fail_code(EXIT_TIMEOUT, "AP with apic id %u did not start", ids[i]);
        started++;
    }
    /* The APs run fn concurrently; wait up to 5 s for all of them (their
     * CPL0 code may be emulated, and they share one UART). */
    for (int t = 0; t < 50000 && ap_done < started; t++)
        lapic_delay_ns(100000);
    if (ap_done < started)
        fail_code(EXIT_TIMEOUT, "only %u of %u APs finished", ap_done, started);
    return (int)started + 1;
}
