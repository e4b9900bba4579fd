/*
 * The baseline for `viridian bench exits`: the smallest C VMM that runs the bench-pio test guest on KVM. It loads the
 * Multiboot ELF's PT_LOAD segments at their physical addresses, enters 32-bit protected mode as a Multiboot loader
 * does, and answers the guest's port I/O: 0xE0 pings (timed from the first to the last), COM1 output, isa-debug-exit.
 * Usage: kvm-pio-loop GUEST.elf [N]. Prints "c: N exits in S s: R exits/s". Exits 2 when /dev/kvm is unusable.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (32u << 20)
#define MBI 0x10000u
#define CMDLINE 0x11000u

static void die(const char *what) {
    fprintf(stderr, "kvm-pio-loop: %s: %s\n", what, strerror(errno));
    exit(3);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint32_t load_elf(const char *path, uint8_t *mem) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die(path);
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat");
    uint8_t *f = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (f == MAP_FAILED) die("mmap guest");
    Elf32_Ehdr *eh = (Elf32_Ehdr *)f;
    if (st.st_size < (off_t)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS32) {
        fprintf(stderr, "kvm-pio-loop: %s is not an ELF32 guest\n", path);
        exit(3);
    }
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf32_Phdr *ph = (Elf32_Phdr *)(f + eh->e_phoff + (size_t)i * eh->e_phentsize);
        if (ph->p_type != PT_LOAD) continue;
        if (ph->p_paddr + ph->p_memsz > MEM_SIZE || ph->p_offset + ph->p_filesz > (uint64_t)st.st_size) {
            fprintf(stderr, "kvm-pio-loop: segment %d does not fit\n", i);
            exit(3);
        }
        memcpy(mem + ph->p_paddr, f + ph->p_offset, ph->p_filesz);
        memset(mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
    }
    uint32_t entry = eh->e_entry;
    munmap(f, st.st_size);
    close(fd);
    return entry;
}

static struct kvm_segment flat(uint16_t selector, uint8_t type) {
    struct kvm_segment s = {.base = 0, .limit = 0xffffffff, .selector = selector, .type = type, .present = 1,
                            .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1};
    return s;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: kvm-pio-loop GUEST.elf [N]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        fprintf(stderr, "kvm-pio-loop: /dev/kvm: %s\n", strerror(errno));
        return 2;
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) die("KVM_CREATE_VM");
    if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000ul) < 0) die("KVM_SET_TSS_ADDR");
    uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) die("mmap memory");
    struct kvm_userspace_memory_region region = {.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
                                                 .userspace_addr = (uintptr_t)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
    uint32_t entry = load_elf(argv[1], mem);
    /* Multiboot info: flags.cmdline with "guest n=N", as a Multiboot loader passes it. */
    uint32_t *mbi = (uint32_t *)(mem + MBI);
    mbi[0] = 1u << 2;
    mbi[4] = CMDLINE;
    snprintf((char *)mem + CMDLINE, 256, "%s n=%ld", argv[1], n);

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    /* The CPUID KVM supports, as Viridian also starts from it. */
    struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cpuid = {.c.nent = 256};
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0) die("KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0) die("KVM_SET_CPUID2");
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
    sregs.cs = flat(0x08, 0xb);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat(0x10, 0x3);
    sregs.tr = (struct kvm_segment){.base = 0, .limit = 0x67, .selector = 0, .type = 0xb, .present = 1, .s = 0};
    sregs.cr0 = 0x11; /* PE | ET, paging off */
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = entry, .rax = 0x2BADB002, .rbx = MBI, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

    long pings = 0;
    double first = 0, last = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR) continue;
            die("KVM_RUN");
        }
        if (run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "kvm-pio-loop: unexpected exit reason %u\n", run->exit_reason);
            return 3;
        }
        uint8_t *data = (uint8_t *)run + run->io.data_offset;
        if (run->io.port == 0xE0 && run->io.direction == KVM_EXIT_IO_IN) {
            memcpy(data, &pings, run->io.size < sizeof pings ? run->io.size : sizeof pings); /* the guest reads the count */
        } else if (run->io.port == 0xE0) {
            double t = now();
            if (pings++ == 0) first = t;
            last = t;
        } else if (run->io.port == 0x3F8 && run->io.direction == KVM_EXIT_IO_OUT) {
            fputc(*data, stdout);
        } else if (run->io.port == 0x3FD && run->io.direction == KVM_EXIT_IO_IN) {
            *data = 0x60; /* transmitter empty */
        } else if (run->io.port == 0xF4 && run->io.direction == KVM_EXIT_IO_OUT) {
            uint32_t v;
            memcpy(&v, data, sizeof v);
            double s = last - first;
            printf("c: %ld exits in %.6f s: %.0f exits/s\n", pings, s, pings > 1 && s > 0 ? (pings - 1) / s : 0.0);
            return (int)((v << 1) | 1) & 0xff;
        }
    }
}
