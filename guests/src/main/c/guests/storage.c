/* storage.elf: synthetic SCSI (StorVSP) from the guest side, written from the
 * protocol description (drivers/scsi/storvsc_drv.c), not from Viridian's code:
 * the handshake (newest protocol version first), INQUIRY, READ CAPACITY, a
 * pattern written with WRITE(10) at lba=L (default 2048, 64 blocks), SYNCHRONIZE
 * CACHE, read back and compared; errors with CHECK CONDITION and sense data for
 * a read past the end and an unknown opcode. The host test then finds the
 * pattern in the image file. Each 512-byte block holds "VIRIDIAN lba=<n>" then
 * bytes (lba + i) & 0xFF. hostile=1 also names data pages outside guest memory
 * and checks the request fails alone and the next one works. */
#include "storvsc.h"

static uint8_t ring[32 * 4096] __attribute__((aligned(4096)));
static uint8_t wbuf[64 * 512] __attribute__((aligned(4096)));
static uint8_t rbuf[64 * 512 + 8];
static struct storvsc s;

static void fill(uint8_t *b, uint32_t lba) {
    for (uint32_t i = 0; i < 512; i++) b[i] = (uint8_t)(lba + i);
    const char *tag = "VIRIDIAN lba=";
    memcpy(b, tag, 13);
    char digits[12];
    int n = 0;
    do digits[n++] = (char)('0' + lba % 10), lba /= 10; while (lba);
    for (int i = 0; i < n; i++) b[13 + i] = (uint8_t)digits[n - 1 - i];
    b[13 + n] = 0;
}

static void expect_sense(uint8_t status, const struct vstor_packet *out, uint8_t key, uint8_t asc, const char *what) {
    const uint8_t *sense = out->srb.cdb_or_sense;
    CHECK(status != SRB_STATUS_SUCCESS && out->srb.scsi_status == 2, "%s: srb status %x scsi status %x", what, status,
          out->srb.scsi_status);
    CHECK((status & SRB_STATUS_AUTOSENSE_VALID) && (sense[2] & 0xF) == key && sense[12] == asc,
          "%s: sense key %x asc %x (srb status %x), expected %x/%x", what, sense[2] & 0xF, sense[12], status, key, asc);
}

void guest_main(void) {
    uint32_t lba = (uint32_t)cmdline_u64("lba", 2048);
    const struct vmbus_offer *o = vmbus_start(STORVSC_CLASS, "the synthetic SCSI controller");
    storvsc_start(&s, o, ring, 32);
    printf("ok: storvsc: protocol %u.%u, max transfer %u bytes\n", s.version >> 8, s.version & 0xFF, s.max_transfer);

    struct vstor_packet out;
    uint8_t inquiry[6] = {0x12, 0, 0, 0, 36, 0};
    uint8_t st = storvsc_scsi(&s, 0, inquiry, 6, DATA_READ, rbuf, 36, &out);
    CHECK(st == SRB_STATUS_SUCCESS && (rbuf[0] & 0x1F) == 0, "INQUIRY: srb status %x, device type %x", st, rbuf[0]);
    char id[25];
    memcpy(id, rbuf + 8, 24);
    id[24] = 0;
    printf("ok: INQUIRY: direct-access device '%s'\n", id);

    uint8_t capacity[10] = {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    st = storvsc_scsi(&s, 0, capacity, 10, DATA_READ, rbuf, 8, &out);
    uint32_t last = (uint32_t)rbuf[0] << 24 | rbuf[1] << 16 | rbuf[2] << 8 | rbuf[3];
    uint32_t block = (uint32_t)rbuf[4] << 24 | rbuf[5] << 16 | rbuf[6] << 8 | rbuf[7];
    CHECK(st == SRB_STATUS_SUCCESS && block == 512, "READ CAPACITY: srb status %x, block size %u", st, block);
    CHECK(lba + 64 <= last + 1, "the disk (%u blocks) is too small for lba=%u", last + 1, lba);
    printf("ok: READ CAPACITY: %u blocks of %u bytes\n", last + 1, block);

    for (uint32_t i = 0; i < 64; i++) fill(wbuf + 512 * i, lba + i);
    st = storvsc_rw10(&s, 1, lba, 64, wbuf, &out);
    CHECK(st == SRB_STATUS_SUCCESS, "WRITE(10): srb status %x scsi status %x", st, out.srb.scsi_status);
    uint8_t sync[10] = {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    st = storvsc_scsi(&s, 0, sync, 10, DATA_NONE, NULL, 0, &out);
    CHECK(st == SRB_STATUS_SUCCESS, "SYNCHRONIZE CACHE: srb status %x", st);
    /* Read into a buffer that is not page-aligned: the range's byte offset matters. */
    st = storvsc_rw10(&s, 0, lba, 64, rbuf + 8, &out);
    CHECK(st == SRB_STATUS_SUCCESS && memcmp(rbuf + 8, wbuf, sizeof wbuf) == 0, "READ(10) back: status %x, data %s", st,
          st == SRB_STATUS_SUCCESS ? "differs" : "-");
    printf("ok: wrote 64 blocks at lba %u, synchronized the cache, read them back intact\n", lba);

    st = storvsc_rw10(&s, 0, last, 2, rbuf, &out);
    expect_sense(st, &out, 5, 0x21, "READ(10) past the end");
    uint8_t bogus[6] = {0xC7, 0, 0, 0, 0, 0};
    st = storvsc_scsi(&s, 0, bogus, 6, DATA_NONE, NULL, 0, &out);
    expect_sense(st, &out, 5, 0x20, "an unknown opcode");
    printf("ok: CHECK CONDITION with ILLEGAL REQUEST for a read past the end (asc 21) and an unknown opcode (asc 20)\n");

    if (cmdline_u64("hostile", 0)) {
        uint32_t outside[2] = {0x7FFFE, 0x7FFFF};
        uint8_t read10[10] = {0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16), (uint8_t)(lba >> 8), (uint8_t)lba, 0, 0, 2, 0};
        st = storvsc_scsi_pfns(&s, 0, read10, 10, DATA_READ, outside, 2, 0, 1024, &out);
        CHECK(st != SRB_STATUS_SUCCESS, "a read into pages outside guest memory succeeded");
        st = storvsc_rw10(&s, 0, lba, 1, rbuf, &out);
        CHECK(st == SRB_STATUS_SUCCESS && memcmp(rbuf, wbuf, 512) == 0, "the next read failed: %x", st);
        printf("ok: hostile: a read into pages outside guest memory failed alone (srb status %x); the next one worked\n",
               (uint32_t)out.srb.srb_status);
    }
}
