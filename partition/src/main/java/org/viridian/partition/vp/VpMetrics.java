package org.viridian.partition.vp;

import java.util.Map;

/**
 * What one virtual processor has used and done so far: its thread's CPU time (guest time included: KVM_RUN runs the
 * guest on it), and the exits KVM handed to user space, by KVM exit reason ({@link ExitReasons#name}). Exits KVM
 * handles in the kernel (in-kernel LAPIC, HLT with an in-kernel irqchip, KVM's own hypercalls) are not among them.
 */
public record VpMetrics(int index, long cpuNanos, Map<String, Long> exits) {
    public VpMetrics {
        exits = Map.copyOf(exits);
    }

    public long totalExits() {
        return exits.values().stream().mapToLong(Long::longValue).sum();
    }
}
