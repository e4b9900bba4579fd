/* vmbus.elf: VMBus from the guest side, written from the protocol description
 * (include/linux/hyperv.h, drivers/hv), not from Viridian's code: version
 * negotiation (an unknown version refused, the 2008 version, UNLOAD, then
 * 5.3), the offers, GPADLs (one needing GPADL_BODY), opening the integration
 * services' channels and speaking ICMSG on each (framework/version
 * negotiation, heartbeat answers), and the host's echo channel (viridian run
 * --vmbus-echo) with host-to-guest event-flag signalling.
 * Command line: hostile=1 also plays a hostile guest (GPADL outside its memory,
 * OPEN_CHANNEL on an unknown GPADL, an oversized packet, a corrupt ring index)
 * and checks that exactly the damaged channels are rescinded and that the
 * heartbeat carries on; shutdown=1 waits for the host's graceful shutdown
 * request (viridian run --shutdown-after) and acknowledges it. */
#include "vmbus.h"

#define HEARTBEAT "57164f39-9115-4e78-ab55-382f3bd5422d"
#define SHUTDOWN "0e0b6031-5213-4934-818b-38d90ced39db"
#define TIMESYNC "9527e630-d0ae-497b-adce-e80ab0175caf"
#define KVP "a9a0f4e7-5a45-4d96-b827-8a841e8c03e6"
#define ECHO "b6d9d2a4-56c3-4d8e-9c9f-7669726964e1"
#define SECOND 10000000ull
#define IC_HEADER 28 /* pipe header (8) + ICMSG header (20) */
#define IC_TYPE(b) (*(uint16_t *)((b) + 8 + 4))
#define IC_STATUS(b) (*(uint32_t *)((b) + 8 + 12))
#define IC_FLAGS(b) ((b)[8 + 17])

static uint8_t hb_ring[4 * 4096] __attribute__((aligned(4096)));
static uint8_t sd_ring[4 * 4096] __attribute__((aligned(4096)));
static uint8_t ts_ring[4 * 4096] __attribute__((aligned(4096)));
static uint8_t echo_ring[16 * 4096] __attribute__((aligned(4096)));
static uint8_t pkt[8192], sent[4096];
static struct vmbus_offer offers[16];
static struct vmbus_channel hb, sd, ts, echo;

static const struct vmbus_offer *find(int n, const char *class_id) {
    for (int i = 0; i < n; i++)
        if (guid_is(offers[i].class_id, class_id)) return &offers[i];
    return NULL;
}

/* Receives one integration-service request (ICMSG in an in-band packet). */
static void ic_recv(struct vmbus_channel *ch, struct vmbus_packet *p, uint64_t timeout, const char *what) {
    vmbus_recv_wait(ch, p, pkt, sizeof pkt, timeout, what);
    CHECK(p->type == PKT_DATA_INBAND && p->length >= IC_HEADER, "%s: packet type %u of %u bytes", what, p->type, p->length);
    CHECK(IC_FLAGS(pkt) & 2, "%s: not a request (flags %x)", what, IC_FLAGS(pkt));
}

/* Answers the request in pkt in place: response flag, status, same transaction. */
static void ic_answer(struct vmbus_channel *ch, const struct vmbus_packet *p, uint32_t status) {
    IC_FLAGS(pkt) = 1 | 4; /* transaction | response */
    IC_STATUS(pkt) = status;
    CHECK(vmbus_send(ch, PKT_DATA_INBAND, 0, p->transaction, pkt, p->length) == 0, "no room to answer");
}

/* Framework and service version negotiation: picks framework 3.0 (or 1.0) and the newest service version. */
static void ic_negotiate(struct vmbus_channel *ch, const char *name) {
    struct vmbus_packet p;
    ic_recv(ch, &p, 5 * SECOND, "version negotiation");
    CHECK(IC_TYPE(pkt) == 0, "%s: first message has type %u, not negotiation", name, IC_TYPE(pkt));
    uint16_t *body = (uint16_t *)(pkt + IC_HEADER);
    uint32_t fw_count = body[0], msg_count = body[1];
    CHECK(fw_count >= 1 && msg_count >= 1 && IC_HEADER + 8 + 4 * (fw_count + msg_count) <= p.length,
          "%s: negotiation lists %u framework and %u service versions", name, fw_count, msg_count);
    uint32_t *versions = (uint32_t *)(body + 4), fw = 0;
    for (uint32_t i = 0; i < fw_count && !fw; i++)
        if ((versions[i] & 0xFFFF) == 3 || (versions[i] & 0xFFFF) == 1) fw = versions[i];
    CHECK(fw != 0, "%s: no framework version 3.0 or 1.0 offered", name);
    uint32_t msg = versions[fw_count];
    body[0] = body[1] = 1;
    versions[0] = fw;
    versions[1] = msg;
    ic_answer(ch, &p, 0);
    printf("ok: %s: negotiated framework %u.%u, service version %u.%u\n", name, fw & 0xFFFF, fw >> 16, msg & 0xFFFF,
           msg >> 16);
}

/* Answers one heartbeat request (sequence + 1); returns the sequence. */
static uint32_t heartbeat(uint64_t timeout) {
    struct vmbus_packet p;
    ic_recv(&hb, &p, timeout, "a heartbeat");
    CHECK(IC_TYPE(pkt) == 1, "heartbeat channel: message type %u", IC_TYPE(pkt));
    uint64_t *seq = (uint64_t *)(pkt + IC_HEADER);
    uint32_t s = (uint32_t)*seq;
    *seq += 1;
    ic_answer(&hb, &p, 0);
    return s;
}

static void open_ic(struct vmbus_channel *ch, const struct vmbus_offer *o, uint8_t *ring, const char *name) {
    CHECK(o != NULL, "the host offers no %s channel", name);
    uint32_t st = vmbus_open(ch, o, ring, 4, 2);
    CHECK(st == 0, "opening %s: status %x", name, st);
    ic_negotiate(ch, name);
}

/* Time sync: the host pushes its time (100 ns units since 1601) with the SYNC flag once the channel is open. */
static void check_timesync(const struct vmbus_offer *o) {
    open_ic(&ts, o, ts_ring, "time sync");
    struct vmbus_packet p;
    ic_recv(&ts, &p, 10 * SECOND, "a time sample");
    CHECK(IC_TYPE(pkt) == 4 && p.length >= IC_HEADER + 17, "time sync channel: message type %u of %u bytes",
          IC_TYPE(pkt), p.length);
    uint64_t parent = *(uint64_t *)(pkt + IC_HEADER);
    uint8_t flags = pkt[IC_HEADER + 16]; /* v4: parent time, reference time, flags; v3: +child, +round trip */
    uint16_t major = *(uint16_t *)(pkt + 8 + 6);
    if (major < 4) flags = pkt[IC_HEADER + 24];
    ic_answer(&ts, &p, 0);
    uint64_t unix100ns = parent - 116444736000000000ull;
    uint64_t seconds = udiv64(unix100ns, 10000000, NULL);
    CHECK(seconds > 1700000000ull, "host time %u s after 1970 is implausible", (uint32_t)seconds);
    printf("ok: time sync: the host's time is %u s after 1970 (flags %u, message version %u)\n", (uint32_t)seconds,
           flags, major);
}

static void check_echo(void) {
    struct vmbus_packet p;
    static const uint32_t sizes[] = {1, 100, 3000};
    for (uint32_t i = 0; i < 3; i++) {
        for (uint32_t k = 0; k < sizes[i]; k++) sent[k] = (uint8_t)(k * 7 + i);
        CHECK(vmbus_send(&echo, PKT_DATA_INBAND, 0, 0x1000 + i, sent, sizes[i]) == 0, "echo ring full");
        vmbus_recv_wait(&echo, &p, pkt, sizeof pkt, 5 * SECOND, "the echo");
        CHECK(p.transaction == 0x1000 + i && p.length >= sizes[i] && memcmp(pkt, sent, sizes[i]) == 0,
              "echo of %u bytes came back as transaction %x, %u bytes", sizes[i], (uint32_t)p.transaction, p.length);
    }
    printf("ok: echo channel: packets of 1, 100 and 3000 bytes came back intact\n");
    /* Host-to-guest signalling: with interrupts unmasked, the host sets the channel's event flag (bit relid). */
    volatile uint32_t *flags = (volatile uint32_t *)(hv_siefp + VMBUS_SINT * 256);
    uint32_t relid = echo.offer->relid;
    flags[relid / 32] &= ~(1u << (relid % 32));
    echo.in.ctl[2] = 0;
    CHECK(vmbus_send(&echo, PKT_DATA_INBAND, 0, 0x2000, "signal", 6) == 0, "echo ring full");
    vmbus_recv_wait(&echo, &p, pkt, sizeof pkt, 5 * SECOND, "the echo");
    CHECK(flags[relid / 32] & (1u << (relid % 32)), "no event flag %u on SINT %d after the host wrote", relid, VMBUS_SINT);
    printf("ok: the host's write set event flag %u on SINT %d\n", relid, VMBUS_SINT);
}

static void release(uint32_t relid) {
    uint8_t m[12] = {0};
    *(uint32_t *)m = CM_RELID_RELEASED;
    *(uint32_t *)(m + 8) = relid;
    CHECK(vmbus_post(m, sizeof m) == 0, "RELID_RELEASED could not be posted");
}

static void hostile(const struct vmbus_offer *e, const struct vmbus_offer *s) {
    /* Damage the echo channel: a descriptor claiming 512 KiB in a 28 KiB ring. */
    struct vmbus_ring *r = &echo.out;
    uint32_t w = r->ctl[0];
    uint16_t desc[4] = {PKT_DATA_INBAND, 2, 0xFFFF, 0};
    memcpy(r->data + w, desc, 8);
    r->ctl[0] = (w + 24) % r->size;
    hv_signal_event(e->connection_id);
    CHECK(vmbus_await_rescind(e->relid, 5 * SECOND), "the echo channel was not rescinded after an oversized packet");
    release(e->relid);
    printf("ok: hostile: an oversized packet got the echo channel (relid %u) rescinded\n", e->relid);
    /* Damage the shutdown channel: a write index outside its ring. */
    sd.out.ctl[0] = 0x7FFFFFF8;
    hv_signal_event(s->connection_id);
    CHECK(vmbus_await_rescind(s->relid, 5 * SECOND), "the shutdown channel was not rescinded after a bad ring index");
    release(s->relid);
    printf("ok: hostile: a corrupt ring index got the shutdown channel (relid %u) rescinded\n", s->relid);
    CHECK(!vmbus_rescinded(hb.offer->relid), "the heartbeat channel was rescinded too");
    uint32_t seq = heartbeat(5 * SECOND);
    printf("ok: hostile: the heartbeat channel carries on (sequence %u answered)\n", seq);
}

void guest_main(void) {
    int hostile_mode = cmdline_u64("hostile", 0) != 0, shutdown_mode = cmdline_u64("shutdown", 0) != 0;
    hv_enable_hypercalls();
    hv_tsc_page_enable();
    hv_synic_enable(VMBUS_SINT, 0x40 | SINT_POLLING);

    CHECK(!vmbus_initiate_contact(0x00070000), "the host accepted VMBus version 7.0, which does not exist");
    CHECK(vmbus_initiate_contact(0x0000000D), "the host refused the 2008 version 0.13");
    vmbus_unload();
    CHECK(vmbus_initiate_contact(0x00050003), "the host refused version 5.3");
    printf("ok: version 7.0 refused, 0.13 accepted and unloaded, 5.3 accepted\n");

    int n = vmbus_request_offers(offers, 16);
    char g[37];
    for (int i = 0; i < n; i++)
        printf("offer: relid %u class %s connection %x\n", offers[i].relid, guid_text(offers[i].class_id, g),
               offers[i].connection_id);
    const struct vmbus_offer *h = find(n, HEARTBEAT), *s = find(n, SHUTDOWN), *e = find(n, ECHO);
    printf("ok: %d offers, heartbeat %s, shutdown %s, time sync %s, data exchange %s\n", n, h ? "yes" : "no",
           s ? "yes" : "no", find(n, TIMESYNC) ? "yes" : "no", find(n, KVP) ? "yes" : "no");

    if (hostile_mode) {
        CHECK(s != NULL, "no shutdown channel to play with");
        uint32_t outside[1] = {0x7FFFF}; /* 2 GiB - 4 KiB: far beyond this guest's memory */
        uint32_t gpadl = vmbus_gpadl_pfns(s->relid, 0xBAD0, outside, 1);
        CHECK(gpadl != 0, "a GPADL outside guest memory was accepted");
        uint32_t open = vmbus_open_raw(s->relid, 0xBAD1, 2);
        CHECK(open != 0, "OPEN_CHANNEL on an unknown GPADL was accepted");
        printf("ok: hostile: GPADL outside guest memory refused (%x), OPEN_CHANNEL on an unknown GPADL refused (%x)\n",
               gpadl, open);
    }

    open_ic(&hb, h, hb_ring, "heartbeat");
    uint32_t seq = heartbeat(5 * SECOND);
    printf("ok: heartbeat: answered sequence %u\n", seq);
    open_ic(&sd, s, sd_ring, "shutdown");
    const struct vmbus_offer *t = find(n, TIMESYNC);
    if (t) check_timesync(t);

    if (e) {
        uint32_t st = vmbus_open(&echo, e, echo_ring, 16, 8);
        CHECK(st == 0, "opening the echo channel: status %x", st);
        check_echo();
    }
    if (hostile_mode) {
        CHECK(e != NULL, "hostile=1 needs the echo channel (viridian run --vmbus-echo)");
        hostile(e, s);
    }
    if (shutdown_mode) {
        struct vmbus_packet p;
        ic_recv(&sd, &p, 60 * SECOND, "the shutdown request");
        CHECK(IC_TYPE(pkt) == 3, "shutdown channel: message type %u", IC_TYPE(pkt));
        uint32_t flags = *(uint32_t *)(pkt + IC_HEADER + 8);
        ic_answer(&sd, &p, 0);
        printf("ok: shutdown: the host asked (flags %u); acknowledged\n", flags);
    }
}
