/* ACPI table discovery (ACPI spec 6.x, 5.2.5 RSDP, 5.2.7/8 RSDT/XSDT,
 * 5.2.12 MADT). Paging is off, so physical addresses are pointers. */
#include "rt.h"

struct rsdp {
    char sig[8]; /* "RSD PTR " */
    uint8_t checksum;
    char oem[6];
    uint8_t revision; /* 0 = ACPI 1.0 (RSDT only), >= 2 adds the XSDT */
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t xchecksum, reserved[3];
} __attribute__((packed));

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static bool sum_ok(const void *p, size_t n) {
    uint8_t s = 0;
    for (const uint8_t *b = p; n--;)
        s += *b++;
    return s == 0;
}

static const struct rsdp *scan_rsdp(uintptr_t start, size_t len) {
    for (uintptr_t a = start; a + 20 <= start + len; a += 16) {
        const struct rsdp *r = (const struct rsdp *)a;
        if (memcmp(r->sig, "RSD PTR ", 8) == 0 && sum_ok(r, 20))
            return r;
    }
    return NULL;
}

static const struct rsdp *find_rsdp(void) {
    /* Scanned once: the scan is thousands of CPL0 iterations. */
    static const struct rsdp *found;
    if (found)
        return found;
    /* The first KiB of the EBDA (its segment is at 0x40E), then the BIOS
     * area 0xE0000-0xFFFFF, both on 16-byte boundaries. */
    uintptr_t ebda = (uintptr_t)*(volatile uint16_t *)0x40E << 4;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        found = scan_rsdp(ebda, 1024);
    if (!found)
        found = scan_rsdp(0xE0000, 0x20000);
    return found;
}

static bool table_ok(const struct sdt_header *h) {
    return h && h->length >= sizeof *h && sum_ok(h, h->length);
}

const void *acpi_find_table(const char sig[4]) {
    const struct rsdp *r = find_rsdp();
    if (!r)
        return NULL;
    /* Prefer the XSDT (64-bit entries) when present and reachable. */
    bool x = r->revision >= 2 && r->xsdt && r->xsdt < 0x100000000ull;
    const struct sdt_header *root = (const void *)(uintptr_t)(x ? (uint32_t)r->xsdt : r->rsdt);
    if (!table_ok(root))
        return NULL;
    size_t esize = x ? 8 : 4, n = (root->length - sizeof *root) / esize;
    const uint8_t *entries = (const uint8_t *)(root + 1);
    for (size_t i = 0; i < n; i++) {
        uint64_t a = 0;
        memcpy(&a, entries + i * esize, esize); /* entries are unaligned */
        if (a >= 0x100000000ull)
            continue;
        const struct sdt_header *h = (const void *)(uintptr_t)a;
        if (memcmp(h->sig, sig, 4) == 0 && table_ok(h))
            return h;
    }
    return NULL;
}

int acpi_cpu_apic_ids(uint32_t *ids, int max) {
    const struct sdt_header *madt = acpi_find_table("APIC");
    if (!madt)
        return -1;
    /* Header, then the LAPIC address and flags, then variable entries. */
    const uint8_t *p = (const uint8_t *)madt + sizeof *madt + 8, *end = (const uint8_t *)madt + madt->length;
    int n = 0;
    while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
        uint32_t id, flags;
        bool cpu = false;
        if (p[0] == 0 && p[1] >= 8) { /* Processor Local APIC */
            id = p[3];
            memcpy(&flags, p + 4, 4);
            cpu = true;
        } else if (p[0] == 9 && p[1] >= 16) { /* Processor Local x2APIC */
            memcpy(&id, p + 4, 4);
            memcpy(&flags, p + 8, 4);
            cpu = true;
        }
        if (cpu && (flags & 1)) { /* bit 0: enabled */
            if (n < max)
                ids[n] = id;
            n++;
        }
        p += p[1];
    }
    return n;
}
