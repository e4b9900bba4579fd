/*
 * kvm-pio-loop: the "raw C/KVM loop" baseline for Viridian's PIO benchmark.
 *
 *   kvm-pio-loop bench-pio.elf [n]
 *
 * Creates a VM with 64 MiB of RAM and one vCPU, loads the Multiboot ELF32
 * guest's PT_LOAD segments at their physical addresses, enters it the way a
 * Multiboot loader does (flat 32-bit protected mode, paging off,
 * EAX=0x2BADB002, EBX=multiboot info) and services KVM_EXIT_IO:
 *   0xE0       bench port: OUT counts a ping, IN answers the count so far
 *   0x3F8-3FF  COM1: THR writes go to stdout, LSR reads say "THR empty"
 *   0xF4       debug exit: ends the run with status (value << 1) | 1
 * and reports the bench exits per second (first ping to the guest's read of
 * port 0xE0 that follows its loop).
 * Exit status: the guest's debug-exit status (33 = pass), 1 on a VM error,
 * 2 when KVM is unavailable, 64 on bad usage.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (64u << 20)
#define MBI_ADDR 0x9000u     /* multiboot info, below the guest's 1 MiB */
#define CMDLINE_ADDR 0x9100u /* its command line */
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MEM 0x1u
#define MB_INFO_CMDLINE 0x4u

#define PORT_BENCH 0xE0
#define PORT_DEBUG_EXIT 0xF4
#define PORT_COM1 0x3F8

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("kvm-pio-loop: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copies the ELF's PT_LOAD segments into guest memory; returns the entry. */
static uint32_t load_elf(const char *path, uint8_t *mem) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die("cannot open %s: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    uint8_t *file = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (file == MAP_FAILED)
        die("cannot map %s: %s", path, size ? strerror(errno) : "empty file");
    close(fd);

    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)file;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS32 ||
        eh->e_machine != EM_386 || eh->e_phentsize != sizeof(Elf32_Phdr) ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size)
        die("%s is not an i386 ELF32 executable", path);
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(file + eh->e_phoff);
    int loaded = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        if ((uint64_t)ph[i].p_paddr + ph[i].p_memsz > MEM_SIZE || ph[i].p_filesz > ph[i].p_memsz ||
            (uint64_t)ph[i].p_offset + ph[i].p_filesz > size)
            die("%s: segment %d does not fit in %u MiB of guest memory", path, i, MEM_SIZE >> 20);
        memcpy(mem + ph[i].p_paddr, file + ph[i].p_offset, ph[i].p_filesz);
        memset(mem + ph[i].p_paddr + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
        loaded++;
    }
    if (!loaded)
        die("%s has no PT_LOAD segment", path);
    uint32_t entry = eh->e_entry;
    munmap(file, size);
    return entry;
}

/* Writes a minimal Multiboot v1 info block (spec 3.3): memory sizes and
 * the command line; every other field reads as 0. */
static void write_multiboot_info(uint8_t *mem, unsigned long n) {
    struct {
        uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    } mbi = {MB_INFO_MEM | MB_INFO_CMDLINE, 640, (MEM_SIZE >> 10) - 1024, 0, CMDLINE_ADDR};
    memset(mem + MBI_ADDR, 0, CMDLINE_ADDR - MBI_ADDR);
    memcpy(mem + MBI_ADDR, &mbi, sizeof mbi);
    snprintf((char *)mem + CMDLINE_ADDR, 256, "kvm-pio-loop n=%lu", n);
}

/* Flat 4 GiB segment, present, DPL0, 32-bit, 4 KiB granular. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type) {
    struct kvm_segment s = {.base = 0, .limit = 0xFFFFFFFF, .selector = selector, .type = type,
                            .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1};
    return s;
}

static struct {
    uint64_t pings, exits;
    double first_ping, bench_end;
} stats;

static int report_and_exit(uint32_t value) {
    double end = stats.bench_end ? stats.bench_end : now();
    double secs = end - stats.first_ping;
    fflush(stdout);
    if (stats.pings > 1 && secs > 0)
        fprintf(stderr, "kvm-pio-loop: %" PRIu64 " bench exits in %.3f s: %.0f exits/s (%.0f ns/exit), %" PRIu64
                        " exits in all\n",
                stats.pings, secs, (stats.pings - 1) / secs, secs * 1e9 / (stats.pings - 1), stats.exits);
    else
        fprintf(stderr, "kvm-pio-loop: %" PRIu64 " bench exits, %" PRIu64 " exits in all\n", stats.pings,
                stats.exits);
    return (int)((value << 1) | 1) & 0xFF;
}

static uint8_t uart_lcr; /* bit 7 (DLAB) turns 0x3F8 into the divisor latch */

/* One port access; data is the kvm_run buffer (little-endian, size bytes). */
static void handle_io(uint8_t direction, uint16_t port, uint8_t size, uint8_t *data, int *exit_status) {
    uint32_t v = 0;
    if (direction == KVM_EXIT_IO_OUT) {
        memcpy(&v, data, size);
        if (port == PORT_BENCH) {
            if (!stats.pings++)
                stats.first_ping = now();
        } else if (port == PORT_COM1 + 3) {
            uart_lcr = (uint8_t)v;
        } else if (port == PORT_COM1 && !(uart_lcr & 0x80)) { /* THR unless DLAB */
            putchar((int)(v & 0xFF));
        } else if (port == PORT_DEBUG_EXIT) {
            *exit_status = report_and_exit(v);
        }
        return; /* other writes (UART setup, PIC masks) are ignored */
    }
    if (port == PORT_BENCH) {
        if (!stats.bench_end)
            stats.bench_end = now();
        v = (uint32_t)stats.pings;
    } else if (port == PORT_COM1 + 5) {
        v = 0x60; /* LSR: THR and transmitter empty */
    } else if (port >= PORT_COM1 && port <= PORT_COM1 + 7) {
        v = 0;
    } else {
        v = 0xFFFFFFFF; /* nothing there */
    }
    memcpy(data, &v, size);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: kvm-pio-loop bench-pio.elf [n]\n");
        return 64;
    }
    char *endp;
    unsigned long n = argc == 3 ? strtoul(argv[2], &endp, 0) : 1000000;
    if (argc == 3 && (*endp || !*argv[2] || n > 0xFFFFFFFFul)) {
        fprintf(stderr, "kvm-pio-loop: bad count '%s'\nusage: kvm-pio-loop bench-pio.elf [n]\n", argv[2]);
        return 64;
    }

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        fprintf(stderr, "kvm-pio-loop: cannot open /dev/kvm: %s (KVM is not available on this host)\n",
                strerror(errno));
        return 2;
    }
    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        fprintf(stderr, "kvm-pio-loop: KVM API version %d, expected %d\n", api, KVM_API_VERSION);
        return 2;
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        die("KVM_CREATE_VM: %s", strerror(errno));
    /* Intel without unrestricted guest needs a 3-page TSS area for real
     * mode emulation; harmless elsewhere. Put it just below 4 GiB. */
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xFFFBD000ul) < 0)
        die("KVM_SET_TSS_ADDR: %s", strerror(errno));

    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        die("cannot allocate guest memory: %s", strerror(errno));
    struct kvm_userspace_memory_region region = {
        .slot = 0, .flags = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

    uint32_t entry = load_elf(argv[1], mem);
    write_multiboot_info(mem, n);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        die("KVM_CREATE_VCPU: %s", strerror(errno));
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        die("cannot map kvm_run: %s", strerror(errno));

    /* Give the guest the CPUID KVM supports (SEP for SYSEXIT, TSC, ...). */
    int nent = 256;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + nent * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid)
        die("out of memory");
    cpuid->nent = (uint32_t)nent;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
        die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2: %s", strerror(errno));
    free(cpuid);

    /* Multiboot machine state (spec 3.2): flat protected mode, paging off. */
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS: %s", strerror(errno));
    sregs.cs = flat_segment(0x08, 0xB); /* execute/read, accessed */
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x10, 0x3); /* read/write, accessed */
    sregs.cr0 = 0x11; /* PE, ET; caches on (CD/NW clear), PG off */
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS: %s", strerror(errno));
    struct kvm_regs regs = {.rflags = 0x2, .rip = entry, .rax = MB_BOOT_MAGIC, .rbx = MBI_ADDR};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS: %s", strerror(errno));

    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            die("KVM_RUN: %s", strerror(errno));
        }
        stats.exits++;
        switch (run->exit_reason) {
        case KVM_EXIT_IO: {
            uint8_t *data = (uint8_t *)run + run->io.data_offset;
            int status = -1;
            for (uint32_t i = 0; i < run->io.count && status < 0; i++, data += run->io.size)
                handle_io(run->io.direction, run->io.port, run->io.size, data, &status);
            if (status >= 0)
                return status;
            break;
        }
        case KVM_EXIT_MMIO:
            if (!run->mmio.is_write)
                memset(run->mmio.data, 0xFF, sizeof run->mmio.data);
            break;
        case KVM_EXIT_HLT:
            fflush(stdout);
            die("guest halted without writing the exit port");
            break;
        case KVM_EXIT_SHUTDOWN:
            fflush(stdout);
            die("guest shut down (triple fault)");
            break;
        case KVM_EXIT_FAIL_ENTRY:
            die("VM entry failed, hardware reason %#llx",
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            die("KVM internal error, suberror %u", run->internal.suberror);
            break;
        default:
            die("unexpected exit reason %u", run->exit_reason);
        }
    }
}
