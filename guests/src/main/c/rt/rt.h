/*
 * Viridian test-guest runtime: the small shared library every guest links.
 *
 * Guests run in 32-bit protected mode with paging off (flat segments, so a
 * pointer is a physical address), exactly as a Multiboot v1 loader leaves the
 * CPU. The runtime owns the GDT, IDT, TSS (with an I/O-permission bitmap so
 * CPL3 code may reach the serial, debug-exit and bench ports), the serial
 * console, the exit protocol, ACPI/MADT discovery and the local APIC.
 *
 * A guest provides   void guest_main(void);   and calls pass() or fail().
 */
#ifndef VIRIDIAN_RT_H
#define VIRIDIAN_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- segment selectors (GDT layout is part of the runtime, see cpu.c) ---- */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B /* 0x18 | RPL3 */
#define SEL_UDATA 0x23 /* 0x20 | RPL3 */
#define SEL_TSS 0x28

/* ---- I/O ports of the guest ABI (guests/README.md) ---- */
#define PORT_COM1 0x3F8
#define PORT_DEBUG_EXIT 0xF4
#define PORT_BENCH 0xE0
#define PORT_PM1A_CNT 0x604

/* ---- exit values written to PORT_DEBUG_EXIT (host status = v<<1 | 1) ---- */
#define EXIT_PASS 0x10       /* host exit status 33 */
#define EXIT_FAIL 0x11       /* fail(): a check did not hold */
#define EXIT_TIMEOUT 0x12    /* something we waited for never happened */
#define EXIT_BAD_BOOT 0x13   /* not started by a Multiboot loader */
#define EXIT_EXCEPTION 0x1E  /* unexpected exception or interrupt */

/* ---- vectors the runtime reserves ---- */
#define VEC_SYSCALL 0x80   /* DPL3 gate (int $0x80), also the handler rt_syscall() runs */
#define VEC_SPURIOUS 0xFF  /* LAPIC spurious vector */

/* ---- port I/O ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline unsigned current_cpl(void) {
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* ---- Multiboot v1 information (Multiboot spec 0.6.96, section 3.3) ---- */
#define MB_BOOT_MAGIC 0x2BADB002
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper; /* KiB below 1 MiB / above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));
struct mb_mmap_entry {
    uint32_t size; /* of the rest of the entry, not counting this field */
    uint64_t addr, len;
    uint32_t type; /* 1 = usable RAM */
} __attribute__((packed));

extern const struct mb_info *boot_info;
/* The kernel command line ("" when the loader gave none). */
const char *cmdline(void);
/* Value of "key=NUMBER" in the command line (decimal or 0x hex), or dflt. */
uint64_t cmdline_u64(const char *key, uint64_t dflt);

/* ---- console (COM1) and exit ---- */
void putc_serial(char c);
void puts_serial(const char *s);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
_Noreturn void exit_guest(uint32_t value);
_Noreturn void pass(void);
_Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fail_code(uint32_t value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK(cond, ...) \
    do {                 \
        if (!(cond))     \
            fail(__VA_ARGS__); \
    } while (0)

/* ---- small helpers ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* 64-by-32 division without libgcc (there is no 32-bit libgcc here). */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* ---- interrupts and exceptions ---- */
/* Register layout pushed by the stubs in entry.S (lowest address first). */
struct frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error;
    uint32_t eip, cs, eflags;
    uint32_t user_esp, user_ss; /* valid only when (cs & 3) != 0 */
};
typedef void (*irq_handler)(struct frame *f);
void set_handler(unsigned vector, irq_handler h);
/* Loads this CPU's IDTR with the shared IDT (APs call it too). */
void idt_load(void);

/* ---- CPL3 ---- */
/* Runs fn(arg) at CPL3 (IF=0, IOPL=0, ports per the TSS bitmap) on the user
 * stack and returns its return value at CPL0. Not reentrant.
 * Traps from CPL3 (INT n, faults a handler resumes) return with SYSEXIT, not
 * IRET (see entry.S): they clobber ECX, EDX and the arithmetic flags. */
uint32_t run_user(uint32_t (*fn)(uint32_t), uint32_t arg);
/* From CPL3: runs the VEC_SYSCALL handler with EAX = a, EBX = b and returns
 * the EAX it leaves. Works where INT n from CPL3 does not (PVM hosts). */
static inline uint32_t syscall2(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__ volatile("call rt_syscall" : "=a"(r) : "a"(a), "b"(b) : "ecx", "edx", "cc", "memory");
    return r;
}

/* ---- spinlock ---- */
typedef struct { volatile uint32_t locked; } spinlock_t;
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);

/* ---- ACPI ---- */
/* Finds an ACPI table by signature via RSDP -> XSDT/RSDT; NULL if absent. */
const void *acpi_find_table(const char sig[4]);
/* Enabled local APICs listed in the MADT: fills ids, returns the count
 * (-1 when there is no MADT). */
int acpi_cpu_apic_ids(uint32_t *ids, int max);

/* ---- local APIC (xAPIC MMIO) ---- */
#define LAPIC_BASE 0xFEE00000u
#define LAPIC_ID 0x020
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3E0
static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static inline uint32_t lapic_id(void) { return lapic_read(LAPIC_ID) >> 24; }
void lapic_enable(void);
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
/* Busy-waits about ns nanoseconds using the (masked) LAPIC timer count,
 * which KVM and QEMU both tick at 1 GHz with divide-by-1. */
void lapic_delay_ns(uint32_t ns);
/* Arms a one-shot timer interrupt on vector after count ticks (divide 1). */
void lapic_timer_oneshot(uint8_t vector, uint32_t count);
/* Sends an IPI (ICR low word = cmd) to apic_id and waits until delivered. */
void lapic_send_ipi(uint32_t apic_id, uint32_t cmd);

/* ---- SMP ---- */
#define MAX_CPUS 16
/* Starts every enabled AP in the MADT (INIT, SIPI, SIPI), one at a time;
 * each runs fn(cpu_index) with cpu_index 1.. and then halts. Returns the
 * number of CPUs online including the BSP, or fails the test. */
int smp_start_aps(void (*fn)(int cpu_index));

/* ---- provided by each guest ---- */
void guest_main(void);

#endif
