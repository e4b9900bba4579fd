/* bench-storvsp.elf: synthetic-SCSI I/O from CPL3 for viridian bench storvsp:
 * n=N requests of bs=B bytes (a multiple of 512, at most 1 MiB), random=1 for
 * random block-aligned offsets over the first span=S MiB (default 64), else
 * sequential; write=1 for writes. One request in flight, completions polled;
 * each request is a GPA-direct packet and a CPL3 HvSignalEvent (benchmark VMs
 * allow CPL3 hypercalls). Setup and the handshake run briefly at CPL0. */
#include "storvsc.h"

static uint8_t ring[64 * 4096] __attribute__((aligned(4096)));
static uint8_t buf[1 << 20] __attribute__((aligned(4096)));
static struct storvsc s;
static uint32_t bs, span_blocks, is_write, is_random;

static uint32_t bench(uint32_t n) {
    struct vstor_packet out;
    uint32_t failed = 0, x = 12345, blocks = bs / 512, lba = 0;
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < n; i++) {
        if (is_random) {
            x = x * 1103515245u + 12345u;
            lba = (x >> 4) % (span_blocks / blocks) * blocks;
        }
        failed += storvsc_rw10(&s, (int)is_write, lba, (uint16_t)blocks, buf, &out) != SRB_STATUS_SUCCESS;
        if (!is_random) lba = (lba + blocks) % span_blocks;
    }
    uint64_t cycles = rdtsc() - t0;
    printf("requests: %u of %u bytes (%u failed)\n", n, bs, failed);
    printf("cycles: %llu (%llu per request)\n", cycles, n ? udiv64(cycles, n, NULL) : 0);
    return failed;
}

void guest_main(void) {
    uint32_t n = (uint32_t)cmdline_u64("n", 10000);
    bs = (uint32_t)cmdline_u64("bs", 4096);
    span_blocks = (uint32_t)cmdline_u64("span", 64) * 2048;
    is_write = cmdline_u64("write", 0) != 0;
    is_random = cmdline_u64("random", 0) != 0;
    CHECK(bs >= 512 && bs % 512 == 0 && bs <= sizeof buf && bs / 512 <= span_blocks, "bs=%u", bs);
    const struct vmbus_offer *o = vmbus_start(STORVSC_CLASS, "the synthetic SCSI controller");
    storvsc_start(&s, o, ring, 64);
    CHECK(bs <= s.max_transfer, "bs=%u exceeds the host's max transfer %u", bs, s.max_transfer);
    for (uint32_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 31);
    printf("bench-storvsp: %u %s %s requests of %u bytes from CPL3\n", n, is_random ? "random" : "sequential",
           is_write ? "write" : "read", bs);
    CHECK(run_user(bench, n) == 0, "requests failed");
}
