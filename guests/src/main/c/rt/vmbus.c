/* The test guests' VMBus client (see vmbus.h). Messages are polled from SINT 2's slot: no interrupt handlers. */
#include "vmbus.h"

#define MSG_TIMEOUT 50000000ull /* 5 s of reference time for any channel-management answer */
#define RING_CONTROL 4096
#define W_INDEX 0
#define R_INDEX 1
#define INTR_MASK 2
#define PENDING_SEND 3

static uint32_t msg_connection = 1;
static uint32_t rescinds[64]; /* bitmap of rescinded relids 0..2047 */

static void mb(void) { __asm__ volatile("mfence" ::: "memory"); }

uint16_t vmbus_post(const void *msg, uint32_t size) {
    return hv_post_message(msg_connection, 1, msg, size);
}

static void note_rescind(const uint8_t *m) {
    uint32_t relid = *(const uint32_t *)(m + 8);
    if (relid < 2048) rescinds[relid / 32] |= 1u << (relid % 32);
}

int vmbus_rescinded(uint32_t relid) { return relid < 2048 && (rescinds[relid / 32] >> (relid % 32)) & 1; }

/* Takes the next message if one is there: 1 and copied to out (size bytes) when of type, else 0. */
static int poll_message(uint32_t type, void *out, uint32_t size) {
    struct hv_message *slot = hv_slot(VMBUS_SINT);
    if (slot->type == 0) return 0;
    CHECK(slot->type == 1, "SINT %d slot holds message type %x, not a VMBus message", VMBUS_SINT, slot->type);
    uint32_t got = *(uint32_t *)slot->payload;
    int match = got == type;
    if (got == CM_RESCIND) note_rescind(slot->payload);
    if (match) memcpy(out, slot->payload, size <= slot->size ? size : slot->size);
    hv_slot_done(VMBUS_SINT);
    return match;
}

void vmbus_wait(uint32_t type, void *out, uint32_t size) {
    uint64_t deadline = hv_time() + MSG_TIMEOUT;
    while (!poll_message(type, out, size)) {
        CHECK(hv_time() < deadline, "no channel message of type %u from the host within 5 s", type);
        cpu_relax();
    }
}

int vmbus_await_rescind(uint32_t relid, uint64_t timeout) {
    uint64_t deadline = hv_time() + timeout;
    uint8_t m[16];
    while (!vmbus_rescinded(relid) && hv_time() < deadline) {
        poll_message(CM_RESCIND, m, sizeof m);
        cpu_relax();
    }
    return vmbus_rescinded(relid);
}

int vmbus_initiate_contact(uint32_t version) {
    uint8_t m[40] = {0};
    *(uint32_t *)m = CM_INITIATE_CONTACT;
    *(uint32_t *)(m + 8) = version;
    *(uint32_t *)(m + 12) = 0; /* answer on VP 0 */
    int modern = version >= 0x50000;
    if (modern) m[16] = VMBUS_SINT; /* 5.0+: message SINT instead of an interrupt page */
    msg_connection = modern ? 4 : 1;
    CHECK(vmbus_post(m, sizeof m) == 0, "INITIATE_CONTACT could not be posted");
    uint8_t r[16];
    vmbus_wait(CM_VERSION_RESPONSE, r, sizeof r);
    /* From 5.0 on the host names the connection for later messages; before, it is always 1. */
    msg_connection = modern && r[8] ? *(uint32_t *)(r + 12) : 1;
    return r[8];
}

void vmbus_unload(void) {
    uint8_t m[8] = {0}, r[8];
    *(uint32_t *)m = CM_UNLOAD;
    CHECK(vmbus_post(m, sizeof m) == 0, "UNLOAD could not be posted");
    vmbus_wait(CM_UNLOAD_RESPONSE, r, sizeof r);
}

static void read_guid(uint8_t *dst, const uint8_t *src) { memcpy(dst, src, 16); }

int vmbus_request_offers(struct vmbus_offer *offers, int max) {
    uint8_t m[8] = {0};
    *(uint32_t *)m = CM_REQUEST_OFFERS;
    CHECK(vmbus_post(m, sizeof m) == 0, "REQUEST_OFFERS could not be posted");
    int n = 0;
    uint64_t deadline = hv_time() + MSG_TIMEOUT;
    struct hv_message *slot = hv_slot(VMBUS_SINT);
    for (;;) {
        CHECK(hv_time() < deadline, "ALL_OFFERS_DELIVERED never came (%d offers so far)", n);
        if (slot->type == 0) { cpu_relax(); continue; }
        const uint8_t *p = slot->payload;
        uint32_t type = *(const uint32_t *)p;
        if (type == CM_ALL_OFFERS) { hv_slot_done(VMBUS_SINT); return n; }
        if (type == CM_OFFER) {
            CHECK(slot->size >= 196, "OFFER_CHANNEL of %u bytes", slot->size);
            if (n < max) {
                read_guid(offers[n].class_id, p + 8);
                read_guid(offers[n].instance, p + 24);
                offers[n].relid = *(const uint32_t *)(p + 184);
                offers[n].connection_id = *(const uint32_t *)(p + 192);
                n++;
            }
        }
        hv_slot_done(VMBUS_SINT);
    }
}

uint32_t vmbus_gpadl_pfns(uint32_t relid, uint32_t gpadl, const uint32_t *pfns, uint32_t count) {
    uint8_t m[240] = {0};
    *(uint32_t *)m = CM_GPADL_HEADER;
    *(uint32_t *)(m + 8) = relid;
    *(uint32_t *)(m + 12) = gpadl;
    *(uint16_t *)(m + 16) = (uint16_t)(8 + 8 * count); /* range_buflen: the range header and its page numbers */
    *(uint16_t *)(m + 18) = 1;
    *(uint32_t *)(m + 20) = count * 4096; /* byte count */
    *(uint32_t *)(m + 24) = 0;            /* byte offset */
    uint32_t here = count < 26 ? count : 26, sent = 0;
    for (; sent < here; sent++) *(uint64_t *)(m + 28 + 8 * sent) = pfns[sent];
    CHECK(vmbus_post(m, 28 + 8 * here) == 0, "GPADL_HEADER could not be posted");
    for (uint32_t msgno = 1; sent < count; msgno++) {
        memset(m, 0, sizeof m);
        *(uint32_t *)m = CM_GPADL_BODY;
        *(uint32_t *)(m + 8) = msgno;
        *(uint32_t *)(m + 12) = gpadl;
        uint32_t k = 0;
        for (; k < 28 && sent < count; k++, sent++) *(uint64_t *)(m + 16 + 8 * k) = pfns[sent];
        CHECK(vmbus_post(m, 16 + 8 * k) == 0, "GPADL_BODY could not be posted");
    }
    uint8_t r[20];
    vmbus_wait(CM_GPADL_CREATED, r, sizeof r);
    CHECK(*(uint32_t *)(r + 12) == gpadl, "GPADL_CREATED for handle %u, expected %u", *(uint32_t *)(r + 12), gpadl);
    return *(uint32_t *)(r + 16);
}

uint32_t vmbus_gpadl(uint32_t relid, uint32_t gpadl, void *buf, uint32_t count) {
    static uint32_t pfns[128];
    CHECK(count <= 128, "GPADL of %u pages is more than this client lists", count);
    for (uint32_t i = 0; i < count; i++) pfns[i] = ((uint32_t)buf >> 12) + i;
    return vmbus_gpadl_pfns(relid, gpadl, pfns, count);
}

uint32_t vmbus_open_raw(uint32_t relid, uint32_t gpadl, uint32_t out_pages) {
    uint8_t m[148] = {0};
    static uint32_t open_ids = 0x100;
    uint32_t open_id = ++open_ids;
    *(uint32_t *)m = CM_OPEN;
    *(uint32_t *)(m + 8) = relid;
    *(uint32_t *)(m + 12) = open_id;
    *(uint32_t *)(m + 16) = gpadl;
    *(uint32_t *)(m + 20) = 0; /* target VP */
    *(uint32_t *)(m + 24) = out_pages;
    CHECK(vmbus_post(m, sizeof m) == 0, "OPEN_CHANNEL could not be posted");
    uint8_t r[20];
    vmbus_wait(CM_OPEN_RESULT, r, sizeof r);
    CHECK(*(uint32_t *)(r + 8) == relid && *(uint32_t *)(r + 12) == open_id, "OPENCHANNEL_RESULT for relid %u open id %x",
          *(uint32_t *)(r + 8), *(uint32_t *)(r + 12));
    return *(uint32_t *)(r + 16);
}

static void ring_init(struct vmbus_ring *r, uint8_t *base, uint32_t pages) {
    memset(base, 0, pages * 4096);
    r->ctl = (volatile uint32_t *)base;
    r->data = base + RING_CONTROL;
    r->size = (pages - 1) * 4096;
}

uint32_t vmbus_open(struct vmbus_channel *ch, const struct vmbus_offer *o, void *buf, uint32_t pages, uint32_t out_pages) {
    static uint32_t gpadls = 0xE000;
    ch->offer = o;
    ch->gpadl = ++gpadls;
    ring_init(&ch->out, buf, out_pages);
    ring_init(&ch->in, (uint8_t *)buf + out_pages * 4096, pages - out_pages);
    uint32_t status = vmbus_gpadl(o->relid, ch->gpadl, buf, pages);
    if (status != 0) return status;
    return vmbus_open_raw(o->relid, ch->gpadl, out_pages);
}

static void ring_copy_in(struct vmbus_ring *r, uint32_t at, const void *src, uint32_t n) {
    uint32_t first = n < r->size - at ? n : r->size - at;
    memcpy(r->data + at, src, first);
    if (first < n) memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void ring_copy_out(struct vmbus_ring *r, uint32_t at, void *dst, uint32_t n) {
    uint32_t first = n < r->size - at ? n : r->size - at;
    memcpy(dst, r->data + at, first);
    if (first < n) memcpy((uint8_t *)dst + first, r->data, n - first);
}

int vmbus_send_ex(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t transaction, const void *headers,
                  uint32_t header_size, const void *data, uint32_t size) {
    struct vmbus_ring *r = &ch->out;
    uint32_t offset = 16 + header_size, len = (offset + size + 7) & ~7u, w = r->ctl[W_INDEX], rd = r->ctl[R_INDEX];
    uint32_t free = rd > w ? rd - w : r->size - (w - rd);
    if (free <= len + 8) return -1; /* never fill completely: equal indices mean empty */
    uint16_t desc[4] = {type, (uint16_t)(offset / 8), (uint16_t)(len / 8), flags};
    ring_copy_in(r, w, desc, 8);
    ring_copy_in(r, (w + 8) % r->size, &transaction, 8);
    ring_copy_in(r, (w + 16) % r->size, headers, header_size);
    ring_copy_in(r, (w + offset) % r->size, data, size);
    uint64_t pad = 0, trailer = (uint64_t)w << 32;
    ring_copy_in(r, (w + offset + size) % r->size, &pad, len - offset - size);
    ring_copy_in(r, (w + len) % r->size, &trailer, 8);
    mb();
    r->ctl[W_INDEX] = (w + len + 8) % r->size;
    mb();
    /* Linux's rule: the reader needs a signal only if it had emptied the ring and has not masked interrupts. */
    if (r->ctl[INTR_MASK] == 0 && r->ctl[R_INDEX] == w) hv_signal_event(ch->offer->connection_id);
    return 0;
}

int vmbus_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t transaction, const void *data,
               uint32_t size) {
    return vmbus_send_ex(ch, type, flags, transaction, NULL, 0, data, size);
}

int vmbus_recv(struct vmbus_channel *ch, struct vmbus_packet *p, void *buf, uint32_t max) {
    struct vmbus_ring *r = &ch->in;
    uint32_t w = r->ctl[W_INDEX], rd = r->ctl[R_INDEX];
    if (w == rd) return -1;
    mb();
    uint16_t desc[4];
    ring_copy_out(r, rd, desc, 8);
    ring_copy_out(r, (rd + 8) % r->size, &p->transaction, 8);
    uint32_t offset = desc[1] * 8u, len = desc[2] * 8u;
    CHECK(offset >= 16 && offset <= len && len < r->size, "host packet: offset %u length %u", offset, len);
    p->type = desc[0];
    p->flags = desc[3];
    p->length = len - offset < max ? len - offset : max;
    ring_copy_out(r, (rd + offset) % r->size, buf, p->length);
    mb();
    r->ctl[R_INDEX] = (rd + len + 8) % r->size;
    mb();
    /* A host waiting for room asked with pending-send size: tell it. */
    if (r->ctl[PENDING_SEND]) hv_signal_event(ch->offer->connection_id);
    return 0;
}

void vmbus_recv_wait(struct vmbus_channel *ch, struct vmbus_packet *p, void *buf, uint32_t max, uint64_t timeout,
                     const char *what) {
    uint64_t deadline = hv_time() + timeout;
    while (vmbus_recv(ch, p, buf, max) != 0) {
        CHECK(hv_time() < deadline, "timed out waiting for %s on channel %u", what, ch->offer->relid);
        cpu_relax();
    }
}

static const char HEX[] = "0123456789abcdef";

const char *guid_text(const uint8_t g[16], char *buf) {
    /* Data1..3 are little-endian on the wire, Data4 as is. */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    char *o = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = HEX[g[order[i]] >> 4];
        *o++ = HEX[g[order[i]] & 15];
    }
    *o = 0;
    return buf;
}

int guid_is(const uint8_t g[16], const char *text) {
    char b[37];
    return memcmp(guid_text(g, b), text, 36) == 0;
}

const struct vmbus_offer *vmbus_start(const char *class_id, const char *hint) {
    static struct vmbus_offer offers[16];
    hv_enable_hypercalls();
    hv_tsc_page_enable();
    hv_synic_enable(VMBUS_SINT, 0x40 | SINT_POLLING);
    CHECK(vmbus_initiate_contact(0x00050003), "the host refused VMBus 5.3");
    int n = vmbus_request_offers(offers, 16);
    for (int i = 0; i < n; i++)
        if (guid_is(offers[i].class_id, class_id)) return &offers[i];
    fail("no offer of class %s (%s)", class_id, hint);
}
