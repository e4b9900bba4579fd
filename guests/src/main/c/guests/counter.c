/* counter.elf: a guest that counts while the host saves and restores it. Each tick is paced by a LAPIC one-shot
 * timer interrupt (so the LAPIC and IDT must survive), stamped with the Hyper-V reference time (which must never run
 * back), and written to its own disk block through StorVSP (so VMBus, the ring and the disk must survive); at the end
 * every block is read back and compared. Parameters: ticks=N (default 40), ms=M per tick (default 250), lba=L. */
#include "storvsc.h"

#define VEC_TICK 0x40

static uint8_t ring[32 * 4096] __attribute__((aligned(4096)));
static uint8_t wbuf[512] __attribute__((aligned(4096)));
static uint8_t rbuf[512] __attribute__((aligned(4096)));
static struct storvsc s;
static volatile uint32_t timer_irqs;

static void on_tick(struct frame *f) {
    (void)f;
    timer_irqs++;
    lapic_eoi();
}

static void fill(uint8_t *b, uint32_t n) {
    for (uint32_t i = 0; i < 512; i++) b[i] = (uint8_t)(n * 7 + i);
    memcpy(b, "COUNTER ", 8);
    memcpy(b + 8, &n, 4);
}

void guest_main(void) {
    uint32_t ticks = (uint32_t)cmdline_u64("ticks", 40);
    uint32_t ms = (uint32_t)cmdline_u64("ms", 250);
    uint32_t lba = (uint32_t)cmdline_u64("lba", 4096);
    const struct vmbus_offer *o = vmbus_start(STORVSC_CLASS, "the synthetic SCSI controller");
    storvsc_start(&s, o, ring, 32);
    set_handler(VEC_TICK, on_tick);
    lapic_enable();
    struct vstor_packet out;
    uint64_t last = hv_time();
    printf("counter: %u ticks of %u ms, blocks from lba %u\n", ticks, ms, lba);
    for (uint32_t n = 1; n <= ticks; n++) {
        /* KVM's LAPIC timer counts at 1 GHz with divide-by-1. */
        lapic_timer_oneshot(VEC_TICK, ms * 1000000u);
        while (timer_irqs < n)
            __asm__ volatile("sti; hlt; cli" ::: "memory");
        uint64_t now = hv_time();
        CHECK(now >= last, "tick %u: reference time ran back from %llu to %llu", n, last, now);
        last = now;
        fill(wbuf, n);
        uint8_t st = storvsc_rw10(&s, 1, lba + n, 1, wbuf, &out);
        CHECK(st == SRB_STATUS_SUCCESS, "tick %u: WRITE(10) status %x", n, st);
        uint32_t rem;
        printf("tick %u t=%llu ms\n", n, udiv64(now, 10000, &rem));
    }
    for (uint32_t n = 1; n <= ticks; n++) {
        uint8_t st = storvsc_rw10(&s, 0, lba + n, 1, rbuf, &out);
        fill(wbuf, n);
        CHECK(st == SRB_STATUS_SUCCESS && memcmp(rbuf, wbuf, 512) == 0, "block of tick %u: status %x or data differs", n,
              st);
    }
    printf("ok: counted to %u; every tick's block is on the disk intact\n", ticks);
}
