/* poweroff.elf: ACPI S5 through PM1a_CNT (SLP_TYP=0, SLP_EN) at 0x604. */
#include "rt.h"

void guest_main(void) {
    printf("powering off\n");
    outw(PORT_PM1A_CNT, 0x2000);
    lapic_delay_ns(100000000); /* the write should have ended the VM */
    fail("still running 100 ms after the ACPI power-off write");
}
