/*
 * The Hyper-V hypervisor interface from a test guest's side, written from
 * Microsoft's Hypervisor TLFS: MSR access, the hypercall page (32-bit ABI),
 * HvPostMessage/HvSignalEvent, the SynIC message slots and the reference TSC
 * page. Shared by the hyperv, vmbus and benchmark guests.
 */
#ifndef VIRIDIAN_HV_H
#define VIRIDIAN_HV_H

#include "rt.h"

#define MSR_GUEST_OS_ID 0x40000000
#define MSR_HYPERCALL 0x40000001
#define MSR_VP_INDEX 0x40000002
#define MSR_TIME_REF_COUNT 0x40000020
#define MSR_REFERENCE_TSC 0x40000021
#define MSR_SCONTROL 0x40000080
#define MSR_SIEFP 0x40000082
#define MSR_SIMP 0x40000083
#define MSR_EOM 0x40000084
#define MSR_SINT0 0x40000090
#define SINT_POLLING (1u << 18)

#define CALL_POST_MESSAGE 0x005C
#define CALL_SIGNAL_EVENT 0x005D
#define HV_FAST (1ull << 16)

/* One SynIC message slot: type, payload size, flags (bit 0: MessagePending), payload. */
struct hv_message {
    volatile uint32_t type;
    volatile uint8_t size, flags;
    uint16_t reserved;
    uint64_t origin;
    uint8_t payload[240];
};

extern uint8_t hv_simp[4096], hv_siefp[4096];

uint64_t rdmsr(uint32_t msr);
void wrmsr(uint32_t msr, uint64_t v);
void cpuid(uint32_t leaf, uint32_t r[4]);

/* Sets the guest OS id and enables the hypercall page (fails the test if it cannot). */
void hv_enable_hypercalls(void);
/* Raw 32-bit ABI call: EDX:EAX control, EBX:ECX input GPA or value, EDI:ESI output; returns EDX:EAX. */
uint64_t hv_hypercall(uint64_t control, uint64_t in, uint64_t out);
/* HvPostMessage of size bytes to a connection; returns the status. */
uint16_t hv_post_message(uint32_t connection, uint32_t type, const void *payload, uint32_t size);
/* Fast HvSignalEvent on a connection (flag 0); returns the status. Works at CPL3 when the host allows it. */
uint16_t hv_signal_event(uint32_t connection);

/* Enables the SynIC with message and event pages; SINT sint gets vector (with flags such as SINT_POLLING). */
void hv_synic_enable(unsigned sint, uint32_t vector_and_flags);
/* The message slot of a SINT. */
static inline struct hv_message *hv_slot(unsigned sint) { return (struct hv_message *)(hv_simp + sint * 256); }
/* Frees a slot after its message was consumed, with EOM when more are pending. */
void hv_slot_done(unsigned sint);

/* Enables the reference TSC page; hv_time() then reads reference time (100 ns units) without exits. */
void hv_tsc_page_enable(void);
uint64_t hv_time(void);

#endif
