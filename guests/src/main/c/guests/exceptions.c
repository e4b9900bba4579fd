/* exceptions.elf: exception and interrupt delivery.
 * From CPL3: #DE, #GP (CLI; OUT to a port outside the TSS bitmap) and #UD
 * must reach the CPL0 handler with the right vector, error code and EIP and
 * resume past the instruction; a system call (the runtime's UD2 gate) must
 * return a value, and so must INT 0x80 through the DPL3 gate, except on PVM
 * hosts, which deliver INT n from CPL3 as #UD: the guest reports which
 * happened and the host-side test decides by the host's kind. At CPL0: a LAPIC timer interrupt must wake STI;HLT. */
#include "rt.h"

#define VEC_TIMER 0x40

/* Set by the code under test before it faults (see EXPECT_FAULT). */
static volatile uint32_t expect_eip, resume_eip;
static volatile struct { uint32_t vector, error, eip, cs, count; } seen;

static void on_fault(struct frame *f) {
    seen.vector = f->vector;
    seen.error = f->error;
    seen.eip = f->eip;
    seen.cs = f->cs;
    seen.count++;
    if (f->eip != expect_eip || !resume_eip)
        fail("unexpected vector %u at %x (expected a fault at %x)", f->vector, f->eip, expect_eip);
    f->eip = resume_eip; /* skip the faulting instruction */
    resume_eip = 0;
}

/* Runs SETUP, then INSN after telling the handler where INSN is and where
 * to resume. ECX, EDX and the flags are clobbered: the return from the
 * trap is a SYSEXIT (see run_user). */
#define EXPECT_FAULT(setup, insn, ...)                                      \
    __asm__ volatile(setup "\n\t"                                          \
                     "movl $1f, %[at]\n\t"                                 \
                     "movl $2f, %[resume]\n"                                \
                     "1:\t" insn "\n"                                       \
                     "2:"                                                   \
                     : [at] "=m"(expect_eip), [resume] "=m"(resume_eip)     \
                     : __VA_ARGS__                                          \
                     : "ecx", "edx", "cc", "memory")

static void check_fault(const char *what, uint32_t vector, uint32_t error, uint32_t before) {
    CHECK(seen.count == before + 1, "%s: no fault delivered", what);
    CHECK(seen.vector == vector && seen.error == error, "%s: vector %u error %x, expected vector %u error %x", what,
          seen.vector, seen.error, vector, error);
    CHECK(seen.eip == expect_eip, "%s: eip %x, expected %x", what, seen.eip, expect_eip);
    CHECK((seen.cs & 3) == 3, "%s: taken from cs %x, not CPL3", what, seen.cs);
    printf("ok: %s -> vector %u error %x at eip %x, resumed\n", what, vector, error, seen.eip);
}

static void on_syscall(struct frame *f) {
    CHECK((f->cs & 3) == 3, "system call from cs %x, not CPL3", f->cs);
    f->eax = f->eax * 2 + f->ebx; /* the "system call" */
}

static uint32_t user_checks(uint32_t unused) {
    (void)unused;
    CHECK(current_cpl() == 3, "not at CPL3");
    uint32_t before = seen.count;
    EXPECT_FAULT("xorl %%ecx, %%ecx; xorl %%edx, %%edx", "divl %%ecx", "a"(1));
    check_fault("#DE divide by zero", 0, 0, before++);
    EXPECT_FAULT("", "cli");
    check_fault("#GP cli at CPL3", 13, 0, before++);
    EXPECT_FAULT("", "outb %%al, $0x80", "a"(0));
    check_fault("#GP out to port 0x80 (not in the I/O bitmap)", 13, 0, before++);
    EXPECT_FAULT("", "ud2");
    check_fault("#UD ud2", 6, 0, before++);
    uint32_t r = syscall2(20, 2);
    CHECK(r == 42, "system call returned %u, expected 42", r);
    printf("ok: system call from CPL3 returned %u\n", r);
    /* INT 0x80: either the DPL3 gate runs on_syscall, or (PVM) a #UD at the
     * INT reaches on_fault, which resumes after it with EAX unchanged. */
    __asm__ volatile("movl $1f, %[at]\n\t"
                     "movl $2f, %[resume]\n"
                     "1:\tint $0x80\n"
                     "2:"
                     : "=a"(r), [at] "=m"(expect_eip), [resume] "=m"(resume_eip)
                     : "a"(20), "b"(2)
                     : "ecx", "edx", "cc", "memory");
    if (seen.count == before + 1) {
        CHECK(seen.vector == 6 && seen.eip == expect_eip, "int 0x80: vector %u at %x", seen.vector, seen.eip);
        printf("note: int 0x80 from CPL3 arrived as #UD (this host cannot deliver INT n from CPL3)\n");
    } else {
        resume_eip = 0;
        CHECK(r == 42, "int 0x80 returned %u, expected 42", r);
        printf("ok: int 0x80 from CPL3 returned %u\n", r);
    }
    return 0;
}

static volatile uint32_t ticks, tick_cs;

static void on_timer(struct frame *f) {
    ticks++;
    tick_cs = f->cs;
    lapic_eoi();
}

void guest_main(void) {
    set_handler(0, on_fault);
    set_handler(6, on_fault);
    set_handler(13, on_fault);
    set_handler(VEC_SYSCALL, on_syscall);
    set_handler(VEC_TIMER, on_timer);
    run_user(user_checks, 0);

    lapic_enable();
    for (uint32_t round = 1; round <= 3; round++) {
        lapic_timer_oneshot(VEC_TIMER, 1000000); /* 1 ms */
        for (int i = 0; i < 1000 && ticks < round; i++)
            __asm__ volatile("sti; hlt; cli" ::: "memory"); /* STI shadow covers HLT */
        CHECK(ticks == round, "LAPIC timer: %u interrupts after %u one-shots", ticks, round);
    }
    CHECK(tick_cs == SEL_KCODE, "timer taken at cs %x", tick_cs);
    printf("ok: LAPIC timer interrupt x%u at CPL0 woke sti;hlt\n", ticks);
}
