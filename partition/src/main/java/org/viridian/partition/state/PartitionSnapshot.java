package org.viridian.partition.state;

import java.util.List;

/**
 * A parked partition's processor and in-kernel device state: every VP, the PIC pair and IOAPIC (raw kvm_irqchip each,
 * in chip order), the PIT (kvm_pit_state2) and kvmclock's base (kvm_clock_data). Guest memory is saved apart, since
 * it is by far the largest part and is written sparsely.
 */
public record PartitionSnapshot(List<VpSnapshot> vps, List<byte[]> irqchips, byte[] pit, byte[] clock) {
    public PartitionSnapshot {
        vps = List.copyOf(vps);
        irqchips = irqchips.stream().map(byte[]::clone).toList();
        pit = pit.clone();
        clock = clock.clone();
    }
}
