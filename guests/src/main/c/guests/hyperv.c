/* hyperv.elf: the Hyper-V hypervisor interface as a guest sees it, written from
 * Microsoft's Hypervisor TLFS (not from Viridian's code): discovery (CPUID
 * 0x40000000+), guest OS id and the hypercall page, VP index, #GP on bad MSRs,
 * error statuses for bad hypercalls, the reference TSC page (and that it is
 * monotonic across VPs), and the SynIC: HvPostMessage answered by a message on
 * a SINT, the MessagePending/EOM protocol, HvSignalEvent answered by an event
 * flag; synthetic timers in direct mode (one-shot) and message mode
 * (periodic, HVMSG_TIMER_EXPIRED), also on an AutoEOI SINT. Needs the host's diagnostic echo on connection 0x7E57
 * (viridian run --hv-echo). All at CPL0, briefly; 32-bit hypercall ABI. */
#include "hv.h"

#define MSR_STIMER0_CONFIG 0x400000B0
#define MSR_STIMER0_COUNT 0x400000B1
#define MSR_STIMER1_CONFIG 0x400000B2
#define MSR_STIMER1_COUNT 0x400000B3
#define TIMER_EXPIRED 0x80000010u
#define VEC_TIMER_DIRECT 0x51
#define VEC_SINT3 0x52
#define VEC_SINT4 0x53
#define SINT_AUTO_EOI (1u << 17)
#define FAST HV_FAST
#define ECHO 0x7E57
#define SINT 2
#define VEC_SINT 0x50

static uint8_t input[4096] __attribute__((aligned(4096)));
static uint8_t *const simp = hv_simp, *const siefp = hv_siefp;

/* #GP at CPL0: the handler resumes at gp_resume (set just before the access). */
static volatile uint32_t gp_count, gp_resume;
static void on_gp(struct frame *f) {
    if (!gp_resume) fail("unexpected #GP at %x", f->eip);
    f->eip = gp_resume;
    gp_resume = 0;
    gp_count++;
}
static int wrmsr_faults(uint32_t msr, uint64_t v) {
    uint32_t before = gp_count;
    __asm__ volatile("movl $1f, %[r]\n\twrmsr\n1:" : [r] "=m"(gp_resume)
                     : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
    gp_resume = 0;
    return gp_count != before;
}
static int rdmsr_faults(uint32_t msr) {
    uint32_t before = gp_count, lo, hi;
    __asm__ volatile("movl $1f, %[r]\n\trdmsr\n1:" : [r] "=m"(gp_resume), "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    gp_resume = 0;
    return gp_count != before;
}

static uint64_t hypercall(uint64_t control, uint64_t in, uint64_t out) { return hv_hypercall(control, in, out); }
static uint16_t status(uint64_t result) { return (uint16_t)result; }
static uint16_t post(uint32_t connection, uint32_t type, const char *text, uint32_t size) {
    return hv_post_message(connection, type, text, size);
}

static volatile uint32_t sint_irqs;
static void on_sint(struct frame *f) {
    (void)f;
    sint_irqs++;
    lapic_eoi();
}
static void wait_irqs(uint32_t n, const char *what) {
    for (uint32_t spins = 0; sint_irqs < n; spins++) {
        CHECK(spins < 2000000, "timed out waiting for %s", what);
        __asm__ volatile("sti; nop; cli");
    }
}

static uint64_t page_time(void) { return hv_time(); }

static volatile uint32_t direct_irqs, sint3_irqs;
static void on_direct(struct frame *f) {
    (void)f;
    direct_irqs++;
    lapic_eoi();
}
static void on_sint3(struct frame *f) {
    (void)f;
    sint3_irqs++;
    lapic_eoi();
}
/* AutoEOI: the interrupt ended as it was taken, so its ISR bit is already clear here and no EOI is written. */
static volatile uint32_t sint4_irqs, sint4_isr_set;
static void on_sint4(struct frame *f) {
    (void)f;
    if (lapic_read(0x100 + (VEC_SINT4 / 32) * 0x10) & (1u << (VEC_SINT4 % 32))) sint4_isr_set++;
    sint4_irqs++;
}
/* Waits for an interrupt count, up to 2 s of reference time (the TSC page, no exits). */
static void wait_for(volatile uint32_t *counter, uint32_t n, const char *what) {
    uint64_t deadline = page_time() + 20000000;
    while (*counter < n) {
        CHECK(page_time() < deadline, "timed out waiting for %s", what);
        __asm__ volatile("sti; nop; cli");
    }
}

static void check_timers(void) {
    set_handler(VEC_TIMER_DIRECT, on_direct);
    set_handler(VEC_SINT3, on_sint3);
    /* Direct mode, one-shot, auto-enable: the count is the absolute expiry, 1 ms from now. */
    wrmsr(MSR_STIMER0_CONFIG, (1u << 12) | (VEC_TIMER_DIRECT << 4) | (1u << 3));
    wrmsr(MSR_STIMER0_COUNT, rdmsr(MSR_TIME_REF_COUNT) + 10000);
    wait_for(&direct_irqs, 1, "the direct-mode timer");
    CHECK((rdmsr(MSR_STIMER0_CONFIG) & 1) == 0, "one-shot timer still enabled after expiring");
    printf("ok: direct-mode one-shot timer fired on vector %x and disabled itself\n", VEC_TIMER_DIRECT);

    /* Message mode, periodic (1 ms) on SINT 3. */
    wrmsr(MSR_SINT0 + 3, VEC_SINT3);
    volatile uint8_t *slot = simp + 3 * 256;
    wrmsr(MSR_STIMER1_COUNT, 10000);
    wrmsr(MSR_STIMER1_CONFIG, 1 | 2 | (3u << 16));
    uint64_t last = 0;
    for (uint32_t i = 1; i <= 3; i++) {
        wait_for(&sint3_irqs, i, "a timer message");
        CHECK(*(volatile uint32_t *)slot == TIMER_EXPIRED && *(volatile uint32_t *)(slot + 16) == 1,
              "timer message: type %x timer %u", *(volatile uint32_t *)slot, *(volatile uint32_t *)(slot + 16));
        uint64_t expiration = *(volatile uint64_t *)(slot + 24);
        CHECK(expiration > last, "periodic expirations must advance");
        last = expiration;
        *(volatile uint32_t *)slot = 0;
        wrmsr(MSR_EOM, 0);
    }
    wrmsr(MSR_STIMER1_CONFIG, 0);
    printf("ok: periodic message-mode timer delivered HVMSG_TIMER_EXPIRED 3 times on SINT 3\n");

    /* AutoEOI on SINT 4: the handler writes no EOI, so without AutoEOI the vector's ISR bit would stay set and hold
     * back every later interrupt of that vector. */
    set_handler(VEC_SINT4, on_sint4);
    wrmsr(MSR_SINT0 + 4, VEC_SINT4 | SINT_AUTO_EOI);
    CHECK(rdmsr(MSR_SINT0 + 4) == (VEC_SINT4 | SINT_AUTO_EOI), "SINT 4 reads back %x", (uint32_t)rdmsr(MSR_SINT0 + 4));
    slot = simp + 4 * 256;
    wrmsr(MSR_STIMER1_COUNT, 10000);
    wrmsr(MSR_STIMER1_CONFIG, 1 | 2 | (4u << 16));
    for (uint32_t i = 1; i <= 3; i++) {
        wait_for(&sint4_irqs, i, "an AutoEOI timer message");
        *(volatile uint32_t *)slot = 0;
        wrmsr(MSR_EOM, 0);
    }
    wrmsr(MSR_STIMER1_CONFIG, 0);
    CHECK(sint4_isr_set == 0, "ISR bit set in %u of 3 AutoEOI interrupts", sint4_isr_set);
    printf("ok: AutoEOI SINT 4: 3 timer messages taken without EOI, ISR clear in the handler\n");
}

/* The SMP hypercalls (remote TLB flush, synthetic cluster IPI), where CPUID recommends them. */
#define CALL_FLUSH_SPACE 0x0002
#define CALL_SEND_IPI 0x000B
#define HINT_REMOTE_TLB_FLUSH (1u << 2)
#define HINT_CLUSTER_IPI (1u << 10)
#define VEC_IPI 0x60
static int smp_calls;
static volatile uint32_t ipis[8];
static void on_ipi(struct frame *f) {
    (void)f;
    ipis[lapic_id() & 7]++;
    lapic_eoi();
}
/* HvSendSyntheticClusterIpi, fast: input 1 = vector (+ reserved), input 2 = the VP set as a 64-bit mask. */
static uint16_t send_ipi(uint64_t vps) { return status(hypercall(CALL_SEND_IPI | FAST, VEC_IPI, vps)); }

static volatile uint64_t bsp_time;
static volatile uint32_t ap_ok;
static void ap_check(int cpu) {
    uint64_t t = page_time();
    uint64_t vp = rdmsr(MSR_VP_INDEX);
    int ipi_ok = 1;
    if (smp_calls) {
        /* An IPI to itself and one to the BSP (which takes it once the APs are done). */
        lapic_enable();
        ipi_ok = send_ipi((1ull << cpu) | 1) == 0;
        uint64_t deadline = page_time() + 20000000;
        while (ipi_ok && ipis[cpu & 7] < 1 && page_time() < deadline)
            __asm__ volatile("sti; nop; cli");
        ipi_ok = ipi_ok && ipis[cpu & 7] == 1;
    }
    if (vp == (uint64_t)cpu && t >= bsp_time && ipi_ok) ap_ok++;
    else
        printf("ap %d: vp index %u, page time %u < bsp %u, ipi %d\n", cpu, (uint32_t)vp, (uint32_t)t,
               (uint32_t)bsp_time, ipi_ok);
}

void guest_main(void) {
    uint32_t r[4];
    set_handler(13, on_gp);
    cpuid(0x40000000, r);
    char vendor[13];
    memcpy(vendor, &r[1], 4), memcpy(vendor + 4, &r[2], 4), memcpy(vendor + 8, &r[3], 4), vendor[12] = 0;
    CHECK(memcmp(vendor, "Microsoft Hv", 12) == 0 && r[0] >= 0x40000005, "vendor '%s', max leaf %x", vendor, r[0]);
    cpuid(0x40000001, r);
    CHECK(r[0] == 0x31237648, "interface %x is not Hv#1", r[0]);
    cpuid(0x40000003, r);
    uint32_t need = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 9);
    CHECK((r[0] & need) == need && (r[1] & 0x30) == 0x30, "privileges %x %x lack what this test needs", r[0], r[1]);
    printf("ok: discovery: %s, Hv#1, privileges %x/%x\n", vendor, r[0], r[1]);

    CHECK(rdmsr(MSR_VP_INDEX) == 0, "BSP VP index");
    CHECK(rdmsr_faults(0x400000FF) && wrmsr_faults(MSR_VP_INDEX, 3) && wrmsr_faults(MSR_SINT0, 5),
          "bad synthetic MSR accesses must raise #GP");
    printf("ok: #GP on unknown MSR, read-only VP index, reserved SINT vector\n");

    wrmsr(MSR_HYPERCALL, (uint32_t)input | 1);
    CHECK((rdmsr(MSR_HYPERCALL) & 1) == 0, "hypercall page enabled before the guest OS id was set");
    hv_enable_hypercalls();
    printf("ok: guest OS id, hypercall page\n");

    CHECK(status(hypercall(0x7777, 0, 0)) == 2, "unknown call: status %x", status(hypercall(0x7777, 0, 0)));
    CHECK(status(hypercall(CALL_POST_MESSAGE | (1ull << 31), (uint32_t)input, 0)) == 3, "reserved control bits");
    CHECK(status(hypercall(CALL_POST_MESSAGE, (uint32_t)input + 4, 0)) == 4, "unaligned input");
    CHECK(post(0x1234, 1, "x", 1) == 0x12, "unknown connection");
    CHECK(post(ECHO, 1, "x", 241) == 5, "oversized payload");
    printf("ok: bad hypercalls get INVALID_HYPERCALL_CODE/INPUT, INVALID_ALIGNMENT, INVALID_CONNECTION_ID, INVALID_PARAMETER\n");

    hv_tsc_page_enable();
    uint64_t t0 = page_time(), m0 = rdmsr(MSR_TIME_REF_COUNT), t1 = page_time();
    CHECK(t0 <= m0 && m0 <= t1 + 10000, "TSC page %u..%u vs TIME_REF_COUNT %u", (uint32_t)t0, (uint32_t)t1, (uint32_t)m0);
    printf("ok: reference TSC page agrees with TIME_REF_COUNT (%u00 ns since start)\n", (uint32_t)m0);

    lapic_enable();
    set_handler(VEC_SINT, on_sint);
    hv_synic_enable(SINT, VEC_SINT);
    volatile uint8_t *slot = simp + SINT * 256;
    CHECK(post(ECHO, 7, "ping", 4) == 0, "post to the echo connection");
    wait_irqs(1, "the echo message");
    CHECK(*(volatile uint32_t *)slot == 7 && slot[4] == 4 && memcmp((const void *)(slot + 16), "ping", 4) == 0,
          "echo slot: type %u size %u", *(volatile uint32_t *)slot, slot[4]);
    *(volatile uint32_t *)slot = 0;
    printf("ok: HvPostMessage answered on SINT %d by interrupt %x\n", SINT, VEC_SINT);

    CHECK(post(ECHO, 8, "one", 3) == 0 && post(ECHO, 9, "two", 3) == 0, "two posts");
    wait_irqs(2, "the first of two");
    CHECK(*(volatile uint32_t *)slot == 8 && (slot[5] & 1), "first message with MessagePending: type %u flags %x",
          *(volatile uint32_t *)slot, slot[5]);
    *(volatile uint32_t *)slot = 0;
    wrmsr(MSR_EOM, 0);
    wait_irqs(3, "the second after EOM");
    CHECK(*(volatile uint32_t *)slot == 9 && memcmp((const void *)(slot + 16), "two", 3) == 0, "second message after EOM");
    *(volatile uint32_t *)slot = 0;
    printf("ok: busy slot -> MessagePending, EOM delivers the next message\n");

    CHECK(status(hypercall(CALL_SIGNAL_EVENT | FAST, ECHO, 0)) == 0, "HvSignalEvent");
    wait_irqs(4, "the echo event");
    CHECK(siefp[SINT * 256] & (1u << 5), "event flag 5 of SINT %d not set", SINT);
    printf("ok: HvSignalEvent answered by event flag 5 on SINT %d\n", SINT);

    check_timers();

    cpuid(0x40000004, r);
    smp_calls = (r[0] & (HINT_REMOTE_TLB_FLUSH | HINT_CLUSTER_IPI)) == (HINT_REMOTE_TLB_FLUSH | HINT_CLUSTER_IPI);
    if (smp_calls) {
        set_handler(VEC_IPI, on_ipi);
        /* struct hv_tlb_flush: address space, flags (all processors | all address spaces), processor mask. */
        uint64_t *flush = (uint64_t *)input;
        flush[0] = 0, flush[1] = 3, flush[2] = 0;
        CHECK(status(hypercall(CALL_FLUSH_SPACE, (uint32_t)input, 0)) == 0, "HvFlushVirtualAddressSpace failed");
        CHECK(send_ipi(1) == 0, "HvSendSyntheticClusterIpi to VP 0");
        wait_for(&ipis[0], 1, "the IPI to myself");
    }

    bsp_time = page_time();
    int cpus = smp_start_aps(ap_check);
    CHECK((int)ap_ok == cpus - 1, "%u of %d APs saw their VP index and a later reference time", ap_ok, cpus - 1);
    printf("ok: %d VPs: VP index = APIC id, reference time monotonic across VPs\n", cpus);
    if (smp_calls) {
        wait_for(&ipis[0], (uint32_t)cpus, "the APs' IPIs");
        printf("ok: SMP hypercalls: HvFlushVirtualAddressSpace, HvSendSyntheticClusterIpi to self and across %d VPs\n",
               cpus);
    } else {
        printf("skip: SMP hypercalls not recommended (hints %x)\n", r[0]);
    }
}
