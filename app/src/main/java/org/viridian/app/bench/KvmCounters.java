package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The host KVM's own event counters, summed over every VM (debugfs, /sys/kernel/debug/kvm: exits, irq_injections,
 * halt_exits, …): they count what KVM handles in the kernel, which no VMM sees — the exits a guest costs beyond those
 * that reach user space. A bench that runs one guest at a time reads that guest's share as the difference.
 */
final class KvmCounters {
    private static final Path DIR = Path.of("/sys/kernel/debug/kvm");
    /** The counters worth a row: exits by kind and the injections. */
    static final java.util.List<String> NAMES = java.util.List.of(
            "exits",
            "irq_exits",
            "halt_exits",
            "io_exits",
            "mmio_exits",
            "irq_window_exits",
            "request_irq_exits",
            "signal_exits",
            "hypercalls",
            "insn_emulation",
            "irq_injections",
            "pf_taken",
            "pf_fixed",
            "tlb_flush");

    private KvmCounters() {}

    /** The counters now; empty where debugfs is not mounted or not readable (not root). */
    static Map<String, Long> read() {
        Map<String, Long> m = new TreeMap<>();
        for (String n : NAMES) {
            try {
                m.put(n, Long.parseLong(Files.readString(DIR.resolve(n)).strip()));
            } catch (IOException | NumberFormatException | SecurityException e) {
                // that counter is not there on this kernel
            }
        }
        return m;
    }
}
