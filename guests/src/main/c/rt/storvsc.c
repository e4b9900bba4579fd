/* The storvsc test client of storvsc.h. */
#include "storvsc.h"

#define MAX_PFNS 520 /* 2 MiB + one page of misalignment */
#define TIMEOUT 100000000ull /* 10 s of reference time for any completion */

static uint8_t gpa_headers[8 + 8 + 8 * MAX_PFNS];

/* Sends a vstor packet (in-band, or GPA-direct when headers are given) and waits for its completion. */
static void exchange(struct storvsc *s, struct vstor_packet *p, const void *headers, uint32_t header_size,
                     struct vstor_packet *out) {
    uint64_t id = ++s->next_id;
    int type = header_size ? PKT_GPA_DIRECT : PKT_DATA_INBAND;
    uint64_t deadline = hv_time() + TIMEOUT;
    while (vmbus_send_ex(&s->ch, type, PKT_FLAG_COMPLETION_REQUESTED, id, headers, header_size, p, sizeof *p) != 0) {
        CHECK(hv_time() < deadline, "the storage ring stayed full");
        cpu_relax();
    }
    for (;;) {
        struct vmbus_packet r;
        memset(out, 0, sizeof *out);
        vmbus_recv_wait(&s->ch, &r, out, sizeof *out, TIMEOUT, "a storage completion");
        /* The host may also send unsolicited packets (e.g. ENUMERATE_BUS); only our completion ends the wait. */
        if (r.type == PKT_COMPLETION && r.transaction == id) return;
    }
}

static void control(struct storvsc *s, uint32_t op, struct vstor_packet *p, const char *what) {
    p->operation = op;
    p->flags = 1; /* REQUEST_COMPLETION */
    struct vstor_packet out;
    exchange(s, p, NULL, 0, &out);
    CHECK(out.operation == VSTOR_COMPLETE_IO && out.status == 0, "%s: operation %u status %x", what, out.operation,
          out.status);
    *p = out;
}

void storvsc_start(struct storvsc *s, const struct vmbus_offer *o, void *ring, uint32_t pages) {
    memset(s, 0, sizeof *s);
    uint32_t st = vmbus_open(&s->ch, o, ring, pages, pages / 2);
    CHECK(st == 0, "opening the storage channel: status %x", st);
    s->ch.in.ctl[2] = 1; /* polled: no interrupts from the host */
    struct vstor_packet p;
    memset(&p, 0, sizeof p);
    control(s, VSTOR_BEGIN_INIT, &p, "BEGIN_INITIALIZATION");
    static const uint16_t versions[] = {0x0602, 0x0600, 0x0501}; /* win10, win8.1, win8 */
    for (uint32_t i = 0; i < 3 && !s->version; i++) {
        memset(&p, 0, sizeof p);
        p.operation = VSTOR_QUERY_PROTOCOL_VERSION;
        p.flags = 1;
        p.version.major_minor = versions[i];
        struct vstor_packet out;
        exchange(s, &p, NULL, 0, &out);
        CHECK(out.operation == VSTOR_COMPLETE_IO, "QUERY_PROTOCOL_VERSION answered with operation %u", out.operation);
        if (out.status == 0) s->version = versions[i];
    }
    CHECK(s->version != 0, "the host accepted none of the protocol versions 6.2, 6.0, 5.1");
    memset(&p, 0, sizeof p);
    control(s, VSTOR_QUERY_PROPERTIES, &p, "QUERY_PROPERTIES");
    s->max_transfer = p.properties.max_transfer_bytes;
    memset(&p, 0, sizeof p);
    control(s, VSTOR_END_INIT, &p, "END_INITIALIZATION");
}

uint8_t storvsc_scsi_pfns(struct storvsc *s, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, int data_in,
                          const uint32_t *pfns, uint32_t npfns, uint32_t first_offset, uint32_t len,
                          struct vstor_packet *out) {
    CHECK(npfns <= MAX_PFNS && cdb_len <= 16, "request too large for this client");
    struct vstor_packet p;
    memset(&p, 0, sizeof p);
    p.operation = VSTOR_EXECUTE_SRB;
    p.flags = 1;
    p.srb.length = sizeof p.srb;
    p.srb.lun = lun;
    p.srb.cdb_length = cdb_len;
    p.srb.sense_length = 20;
    p.srb.data_in = (uint8_t)data_in;
    p.srb.transfer_length = len;
    memcpy(p.srb.cdb_or_sense, cdb, cdb_len);
    uint32_t header_size = 0;
    if (npfns) {
        /* GPA-direct: reserved u32, range count u32, then one range: byte count, byte offset, page numbers. */
        uint32_t *h = (uint32_t *)gpa_headers;
        h[0] = 0, h[1] = 1, h[2] = len, h[3] = first_offset;
        for (uint32_t i = 0; i < npfns; i++) *(uint64_t *)(gpa_headers + 16 + 8 * i) = pfns[i];
        header_size = 16 + 8 * npfns;
    }
    exchange(s, &p, gpa_headers, header_size, out);
    CHECK(out->operation == VSTOR_COMPLETE_IO, "EXECUTE_SRB answered with operation %u", out->operation);
    return out->srb.srb_status;
}

uint8_t storvsc_scsi(struct storvsc *s, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, int data_in, void *buf,
                     uint32_t len, struct vstor_packet *out) {
    static uint32_t pfns[MAX_PFNS];
    uint32_t start = (uint32_t)buf, n = len ? ((start & 4095) + len + 4095) / 4096 : 0;
    CHECK(n <= MAX_PFNS, "transfer of %u bytes is too large for this client", len);
    for (uint32_t i = 0; i < n; i++) pfns[i] = (start >> 12) + i;
    return storvsc_scsi_pfns(s, lun, cdb, cdb_len, data_in, pfns, n, start & 4095, len, out);
}

uint8_t storvsc_rw10(struct storvsc *s, int write, uint32_t lba, uint16_t count, void *buf, struct vstor_packet *out) {
    uint8_t cdb[10] = {write ? 0x2A : 0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
                       (uint8_t)lba, 0, (uint8_t)(count >> 8), (uint8_t)count, 0};
    return storvsc_scsi(s, 0, cdb, 10, write ? DATA_WRITE : DATA_READ, buf, count * 512u, out);
}
