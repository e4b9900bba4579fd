package org.viridian.partition.vp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.kvm.KvmConst;

/**
 * Exits counted per KVM exit reason, for one VP: a plain array the VP's own thread increments (no atomics, no
 * allocation on the exit path) and any thread reads racily, each slot whole (opaque reads of 64-bit slots).
 */
final class ExitReasons {
    /** Reasons at or beyond the last slot share it (KVM's reasons end in the forties today). */
    static final int SLOTS = 64;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] counts = new long[SLOTS];

    /** On the VP's thread only. */
    void count(int reason) {
        int i = reason >= 0 && reason < SLOTS - 1 ? reason : SLOTS - 1;
        SLOT.setOpaque(counts, i, (long) SLOT.getOpaque(counts, i) + 1);
    }

    /** The reasons seen so far with their counts, from any thread. */
    Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < SLOTS; i++) {
            long n = (long) SLOT.getOpaque(counts, i);
            if (n != 0) out.put(i == SLOTS - 1 ? "other" : name(i), n);
        }
        return out;
    }

    /** KVM's name for an exit reason, as {@code KVM_EXIT_*} less the prefix, in lower case. */
    static String name(int reason) {
        return switch (reason) {
            case KvmConst.KVM_EXIT_UNKNOWN -> "unknown";
            case KvmConst.KVM_EXIT_EXCEPTION -> "exception";
            case KvmConst.KVM_EXIT_IO -> "io";
            case KvmConst.KVM_EXIT_HYPERCALL -> "hypercall";
            case KvmConst.KVM_EXIT_DEBUG -> "debug";
            case KvmConst.KVM_EXIT_HLT -> "hlt";
            case KvmConst.KVM_EXIT_MMIO -> "mmio";
            case KvmConst.KVM_EXIT_IRQ_WINDOW_OPEN -> "irq_window_open";
            case KvmConst.KVM_EXIT_SHUTDOWN -> "shutdown";
            case KvmConst.KVM_EXIT_FAIL_ENTRY -> "fail_entry";
            case KvmConst.KVM_EXIT_INTR -> "intr";
            case KvmConst.KVM_EXIT_NMI -> "nmi";
            case KvmConst.KVM_EXIT_INTERNAL_ERROR -> "internal_error";
            case KvmConst.KVM_EXIT_SYSTEM_EVENT -> "system_event";
            case KvmConst.KVM_EXIT_IOAPIC_EOI -> "ioapic_eoi";
            case KvmConst.KVM_EXIT_X86_RDMSR -> "x86_rdmsr";
            case KvmConst.KVM_EXIT_X86_WRMSR -> "x86_wrmsr";
            case KvmConst.KVM_EXIT_DIRTY_RING_FULL -> "dirty_ring_full";
            case KvmConst.KVM_EXIT_X86_BUS_LOCK -> "x86_bus_lock";
            case KvmConst.KVM_EXIT_NOTIFY -> "notify";
            default -> "reason_" + reason;
        };
    }
}
