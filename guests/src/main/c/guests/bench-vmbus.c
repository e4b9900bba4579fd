/* bench-vmbus.elf: ring-buffer round trips between CPL3 and the host's echo
 * channel (viridian bench vmbus): each round trip writes one in-band packet of
 * size=S bytes to the guest's ring, signals the host (a CPL3 HvSignalEvent,
 * allowed for benchmark VMs only) and polls the host's ring for the echo.
 * Setup (VMBus 5.3, offers, a 34-page GPADL, open) runs briefly at CPL0.
 * Command line: n=N (default 100000) size=S (default 64, at most 16384). */
#include "vmbus.h"

#define ECHO "b6d9d2a4-56c3-4d8e-9c9f-7669726964e1"
#define PAGES 34 /* 17 per direction: 64 KiB of data each */

static uint8_t ring[PAGES * 4096] __attribute__((aligned(4096)));
static uint8_t out[16384], in[16384];
static struct vmbus_channel echo;
static uint32_t size;

static uint32_t bench(uint32_t n) {
    struct vmbus_packet p;
    uint32_t bad = 0;
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; i++) {
        out[0] = (uint8_t)i;
        while (vmbus_send(&echo, PKT_DATA_INBAND, 0, i, out, size) != 0) cpu_relax();
        while (vmbus_recv(&echo, &p, in, sizeof in) != 0) cpu_relax();
        bad += p.transaction != i || in[0] != (uint8_t)i;
    }
    uint64_t cycles = rdtsc() - t0;
    printf("round trips: %u of %u bytes (%u wrong)\n", n, size, bad);
    printf("cycles: %llu (%llu per round trip)\n", cycles, n ? udiv64(cycles, n, NULL) : 0);
    return bad;
}

void guest_main(void) {
    uint32_t n = (uint32_t)cmdline_u64("n", 100000);
    size = (uint32_t)cmdline_u64("size", 64);
    CHECK(size >= 1 && size <= sizeof out, "size=%u is outside 1..%u", size, (uint32_t)sizeof out);
    const struct vmbus_offer *e = vmbus_start(ECHO, "viridian run --vmbus-echo");
    CHECK(vmbus_open(&echo, e, ring, PAGES, PAGES / 2) == 0, "opening the echo channel failed");
    echo.in.ctl[2] = 1; /* mask the host's interrupts: this guest polls */
    for (uint32_t k = 0; k < size; k++) out[k] = (uint8_t)(k * 13);
    printf("bench-vmbus: %u round trips of %u bytes from CPL3\n", n, size);
    CHECK(run_user(bench, n) == 0, "echoes came back wrong");
}
