/*
 * A VMBus client for test guests, written from the protocol as Linux's
 * include/linux/hyperv.h and drivers/hv describe it (not from Viridian's host
 * code): channel-management messages over the SynIC (SINT 2, polled), GPADLs,
 * opening channels, and the ring buffers with their signalling rules. Every
 * wait has a deadline in reference time; a missing answer fails the test.
 */
#ifndef VIRIDIAN_VMBUS_H
#define VIRIDIAN_VMBUS_H

#include "hv.h"

#define VMBUS_SINT 2
/* Channel-management message types (first u32 of every message). */
enum {
    CM_OFFER = 1, CM_RESCIND = 2, CM_REQUEST_OFFERS = 3, CM_ALL_OFFERS = 4, CM_OPEN = 5, CM_OPEN_RESULT = 6,
    CM_CLOSE = 7, CM_GPADL_HEADER = 8, CM_GPADL_BODY = 9, CM_GPADL_CREATED = 10, CM_GPADL_TEARDOWN = 11,
    CM_GPADL_TORNDOWN = 12, CM_RELID_RELEASED = 13, CM_INITIATE_CONTACT = 14, CM_VERSION_RESPONSE = 15,
    CM_UNLOAD = 16, CM_UNLOAD_RESPONSE = 17,
};
/* Packet types in rings. */
#define PKT_DATA_INBAND 6
#define PKT_GPA_DIRECT 9
#define PKT_COMPLETION 11
#define PKT_FLAG_COMPLETION_REQUESTED 1

struct vmbus_offer {
    uint8_t class_id[16], instance[16]; /* Windows byte order */
    uint32_t relid, connection_id;
};

/* One direction: a 4 KiB control page (write index, read index, interrupt mask, pending-send size, features) then data. */
struct vmbus_ring {
    volatile uint32_t *ctl;
    uint8_t *data;
    uint32_t size;
};

struct vmbus_channel {
    const struct vmbus_offer *offer;
    struct vmbus_ring out, in; /* out: the guest writes; in: the host writes */
    uint32_t gpadl;
};

/* A received packet: its descriptor fields and where its payload (after the descriptor's offset) was copied. */
struct vmbus_packet {
    uint16_t type, flags;
    uint64_t transaction;
    uint32_t length; /* payload bytes copied */
};

/* Asks for version; returns 1 if the host accepted it (and remembers the message connection it gave). */
int vmbus_initiate_contact(uint32_t version);
/* UNLOAD and its response (the connection is gone afterwards). */
void vmbus_unload(void);
/* REQUEST_OFFERS; fills up to max offers; returns how many the host offered before ALL_OFFERS_DELIVERED. */
int vmbus_request_offers(struct vmbus_offer *offers, int max);
/* Posts a channel-management message to the negotiated connection; returns the hypercall status. */
uint16_t vmbus_post(const void *msg, uint32_t size);
/* Waits for a channel-management message of type (others are dropped, rescinds recorded); copies it to out. */
void vmbus_wait(uint32_t type, void *out, uint32_t size);
/* Whether the host rescinded this relid (seen while waiting). */
int vmbus_rescinded(uint32_t relid);
/* Waits up to timeout (100 ns units) for a rescind of relid; returns whether it came. */
int vmbus_await_rescind(uint32_t relid, uint64_t timeout);

/* GPADL over pages given as page frame numbers; returns GPADL_CREATED's status (0 = created). */
uint32_t vmbus_gpadl_pfns(uint32_t relid, uint32_t gpadl, const uint32_t *pfns, uint32_t count);
/* GPADL over count contiguous pages at buf. */
uint32_t vmbus_gpadl(uint32_t relid, uint32_t gpadl, void *buf, uint32_t count);
/* Opens a channel on pages at buf (page-aligned): out_pages for the guest's ring, the rest for the host's.
 * Returns OPENCHANNEL_RESULT's status. */
uint32_t vmbus_open(struct vmbus_channel *ch, const struct vmbus_offer *o, void *buf, uint32_t pages, uint32_t out_pages);
/* OPEN_CHANNEL naming any GPADL, for hostile tests; returns the result status. */
uint32_t vmbus_open_raw(uint32_t relid, uint32_t gpadl, uint32_t out_pages);

/* Writes a packet to the out ring; signals the host when the ring was empty and not masked.
 * Returns 0, or -1 when the ring has no room. Safe at CPL3 if the host allows CPL3 hypercalls. */
int vmbus_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t transaction, const void *data,
               uint32_t size);
/* The same with headers (a multiple of 8 bytes) between the descriptor and the data, e.g. a GPA-direct range list. */
int vmbus_send_ex(struct vmbus_channel *ch, uint16_t type, uint16_t flags, uint64_t transaction, const void *headers,
                  uint32_t header_size, const void *data, uint32_t size);
/* Reads the next packet from the in ring into buf (up to max payload bytes); 0 when one was read, -1 when empty. */
int vmbus_recv(struct vmbus_channel *ch, struct vmbus_packet *p, void *buf, uint32_t max);
/* vmbus_recv that waits up to timeout (100 ns units); fails the test on timeout. */
void vmbus_recv_wait(struct vmbus_channel *ch, struct vmbus_packet *p, void *buf, uint32_t max, uint64_t timeout,
                     const char *what);

/* The usual start of a guest that uses one device: hypercalls, the TSC page, SINT 2 polled, VMBus 5.3, the offers.
 * Returns the first offer of class_id; fails the test (naming hint) when there is none. */
const struct vmbus_offer *vmbus_start(const char *class_id, const char *hint);

/* GUID text (as Windows prints it) of a wire GUID; buf has room for 37 bytes. */
const char *guid_text(const uint8_t g[16], char *buf);
int guid_is(const uint8_t g[16], const char *text);

#endif
