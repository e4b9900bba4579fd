/*
 * A synthetic-SCSI (storvsc) client for test guests, written from the protocol
 * as Linux's drivers/scsi/storvsc_drv.c describes it: the vstor packet
 * (operation, flags, status, then a vmscsi_request or properties), the
 * initialization handshake, and SCSI commands whose data travels as a
 * GPA-direct range list. One request in flight; completions are polled.
 */
#ifndef VIRIDIAN_STORVSC_H
#define VIRIDIAN_STORVSC_H

#include "vmbus.h"

#define STORVSC_CLASS "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"
enum {
    VSTOR_COMPLETE_IO = 1, VSTOR_EXECUTE_SRB = 3, VSTOR_BEGIN_INIT = 7, VSTOR_END_INIT = 8,
    VSTOR_QUERY_PROTOCOL_VERSION = 9, VSTOR_QUERY_PROPERTIES = 10,
};
#define DATA_WRITE 0
#define DATA_READ 1
#define DATA_NONE 2
#define SRB_STATUS_SUCCESS 0x01
#define SRB_STATUS_AUTOSENSE_VALID 0x80

/* vmscsi_request (win8 size, 52 bytes) */
struct vmscsi_request {
    uint16_t length;
    uint8_t srb_status, scsi_status;
    uint8_t port, path, target, lun;
    uint8_t cdb_length, sense_length, data_in, reserved;
    uint32_t transfer_length;
    uint8_t cdb_or_sense[20];
    uint16_t reserve;
    uint8_t queue_tag, queue_action;
    uint32_t srb_flags, timeout, queue_sort_key;
} __attribute__((packed));

struct vstor_packet {
    uint32_t operation, flags, status;
    union {
        struct vmscsi_request srb;
        struct { uint16_t major_minor, revision; } version;
        struct {
            uint32_t reserved;
            uint16_t max_channels, reserved1;
            uint32_t flags, max_transfer_bytes;
            uint64_t reserved2;
        } properties;
        uint8_t buffer[52];
    };
} __attribute__((packed));

struct storvsc {
    struct vmbus_channel ch;
    uint16_t version;
    uint32_t max_transfer;
    uint64_t next_id;
};

/* Opens the channel on pages at ring (pages, half each way) and runs the handshake, newest protocol first. */
void storvsc_start(struct storvsc *s, const struct vmbus_offer *o, void *ring, uint32_t pages);
/* Sends one SCSI command to lun with data at buf (any alignment, len bytes, contiguous guest memory) and waits for the
 * completion, which it copies to out. Returns out->srb.srb_status. */
uint8_t storvsc_scsi(struct storvsc *s, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, int data_in, void *buf,
                     uint32_t len, struct vstor_packet *out);
/* The same with the data's page list given as page frame numbers (hostile tests name pages outside memory). */
uint8_t storvsc_scsi_pfns(struct storvsc *s, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, int data_in,
                          const uint32_t *pfns, uint32_t npfns, uint32_t first_offset, uint32_t len,
                          struct vstor_packet *out);
/* READ(10)/WRITE(10) of count blocks of 512 bytes at lba; returns the SRB status. */
uint8_t storvsc_rw10(struct storvsc *s, int write, uint32_t lba, uint16_t count, void *buf, struct vstor_packet *out);

#endif
