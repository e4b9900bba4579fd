/* smp.elf: counts CPUs in the ACPI MADT, starts every AP with INIT/SIPI,
 * and has each report in under a spinlock. */
#include "rt.h"

static spinlock_t lock;
static int online = 1; /* the BSP */

static void ap_report(int cpu_index) {
    spin_lock(&lock);
    printf("cpu %d online (apic id %u)\n", cpu_index, lapic_id());
    online++;
    spin_unlock(&lock);
}

void guest_main(void) {
    uint32_t ids[MAX_CPUS];
    int n = acpi_cpu_apic_ids(ids, MAX_CPUS);
    printf("madt: %d cpus\n", n);
    printf("cpu 0 online (apic id %u)\n", lapic_id());
    int started = smp_start_aps(ap_report);
    spin_lock(&lock);
    int seen = online;
    spin_unlock(&lock);
    printf("cpus online: %d\n", seen);
    CHECK(seen == n && started == n, "%d of %d cpus came online", seen, n);
}
