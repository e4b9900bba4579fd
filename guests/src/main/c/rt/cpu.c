/* GDT, TSS with I/O bitmap, IDT, exception dispatch and rt_start. */
#include "rt.h"

void serial_init(void);
_Noreturn void rt_resume_kernel(uint32_t value);
extern char isr_stubs[];
extern char rt_user_exit_gate[], rt_syscall_gate[];
extern char intr_stack_top[];

/* Flat 4 GiB segments (SDM vol. 3 3.4.5): G=1, D=1, P=1, S=1. */
static uint64_t gdt[6] = {
    0,
    0x00CF9A000000FFFFull, /* 0x08 kernel code, DPL0 */
    0x00CF92000000FFFFull, /* 0x10 kernel data, DPL0 */
    0x00CFFA000000FFFFull, /* 0x18 user code, DPL3 */
    0x00CFF2000000FFFFull, /* 0x20 user data, DPL3 */
    0,                     /* 0x28 TSS, filled in by tss_init */
};

/* 32-bit TSS (SDM vol. 3 7.2.1). Only esp0/ss0 and the I/O map matter: we
 * never task-switch. The bitmap covers ports 0..IO_PORTS-1; ports beyond
 * the TSS limit are denied, and the spec wants a trailing 0xFF byte. */
#define IO_PORTS 0x400
static struct {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
    uint8_t iomap[IO_PORTS / 8 + 1];
} __attribute__((packed, aligned(16))) tss;

/* Ports CPL3 code may use (guests/README.md): COM1, debug exit, bench, and
 * Viridian's hypercall port (the VMM still refuses CPL3 hypercalls unless the
 * VM allows them: bench-hv only). */
static const struct { uint16_t first, last; } user_ports[] = {
    {0x3F8, 0x3FF},
    {0xF4, 0xF7},
    {0xE0, 0xE3},
    {0xE8, 0xE8},
};

static void tss_init(void) {
    tss.ss0 = SEL_KDATA;
    tss.esp0 = (uint32_t)(uintptr_t)intr_stack_top;
    tss.iomap_base = offsetof(__typeof__(tss), iomap);
    memset(tss.iomap, 0xFF, sizeof tss.iomap); /* deny all ... */
    for (size_t i = 0; i < sizeof user_ports / sizeof user_ports[0]; i++)
        for (unsigned p = user_ports[i].first; p <= user_ports[i].last; p++)
            tss.iomap[p / 8] &= ~(1u << (p % 8)); /* ... but these */
    uint32_t base = (uint32_t)(uintptr_t)&tss, limit = sizeof tss - 1;
    /* Available 32-bit TSS: type 9, P=1, DPL0, byte granular. */
    gdt[SEL_TSS / 8] = (limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                       ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(base >> 24) << 56);
}

/* SYSEXIT takes CPL3's CS/SS from IA32_SYSENTER_CS (+16/+24): 0x1B/0x23. */
#define MSR_SYSENTER_CS 0x174
static void sysexit_init(void) { __asm__ volatile("wrmsr" ::"c"(MSR_SYSENTER_CS), "a"(SEL_KCODE), "d"(0)); }

static void gdt_load(void) {
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%fs\n\t"
                     "mov %2, %%gs\n\t"
                     "mov %2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
                     : "memory");
}

/* 32-bit interrupt gates (type 0xE: IF cleared on entry). */
static uint64_t idt[256];
static irq_handler handlers[256];

static void idt_init(void) {
    for (unsigned v = 0; v < 256; v++) {
        uint32_t off = (uint32_t)(uintptr_t)(isr_stubs + 16 * v);
        /* Only the gate CPL3 may invoke with INT n gets DPL3; hardware
         * exceptions are delivered regardless of gate DPL. */
        uint64_t dpl = v == VEC_SYSCALL ? 3 : 0;
        idt[v] = (off & 0xFFFF) | ((uint64_t)SEL_KCODE << 16) | ((0x8Eull | dpl << 5) << 40) |
                 ((uint64_t)(off >> 16) << 48);
    }
}

void idt_load(void) {
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

void set_handler(unsigned vector, irq_handler h) { handlers[vector & 0xFF] = h; }

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "?",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Called by isr_common in entry.S for every vector. */
void isr_dispatch(struct frame *f) {
    /* The runtime's gates from CPL3 are UD2s at known addresses (entry.S):
     * INT n from CPL3 arrives as #UD on PVM hosts, exceptions arrive everywhere. */
    if (f->vector == 6 && (f->cs & 3)) {
        if (f->eip == (uint32_t)(uintptr_t)rt_user_exit_gate)
            rt_resume_kernel(f->eax);
        if (f->eip == (uint32_t)(uintptr_t)rt_syscall_gate && handlers[VEC_SYSCALL]) {
            handlers[VEC_SYSCALL](f);
            f->eip += 2; /* past the UD2, to rt_syscall's RET */
            return;
        }
    }
    if (handlers[f->vector]) {
        handlers[f->vector](f);
        return;
    }
    const char *name = f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "interrupt";
    fail_code(EXIT_EXCEPTION, "unexpected %s vector %u error %x at %x:%x eflags %x", name, f->vector, f->error, f->cs,
              f->eip, f->eflags);
}

void spin_lock(spinlock_t *l) {
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (l->locked)
            cpu_relax();
}

void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

/* The 8259 PICs still deliver at the BIOS's vectors (IRQ0 = vector 8 would
 * look like a #DF); mask them all so only the LAPIC can interrupt us. */
static void pic_mask_all(void) {
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

_Noreturn void rt_start(uint32_t magic, uint32_t mbi) {
    serial_init();
    if (magic != MB_BOOT_MAGIC)
        fail_code(EXIT_BAD_BOOT, "bad multiboot magic %x", magic);
    boot_info = (const struct mb_info *)(uintptr_t)mbi;
    tss_init();
    gdt_load();
    sysexit_init();
    idt_init();
    idt_load();
    pic_mask_all();
    guest_main();
    pass();
}
