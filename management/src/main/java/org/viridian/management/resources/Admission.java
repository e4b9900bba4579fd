package org.viridian.management.resources;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.viridian.management.config.CpuList;
import org.viridian.management.config.ResourceControls;
import org.viridian.management.config.Sizes;
import org.viridian.management.config.VmConfig;

/**
 * Whether the root partition can give a VM what it asks at start, as Hyper-V refuses a VM whose memory the host cannot
 * give: the running VMs' memory (each with its {@link ResourceControls#vmmOverhead VMM overhead}) plus the new one's
 * must fit in MemTotal less a reserve for the root partition, and the new one in MemAvailable; with over-commit
 * neither is checked. Processors are never over-committed per VM: no VM gets more VPs than the host has logical
 * processors, its affinity must name online CPUs, and the CPU reservations of running VMs fit the host's processors.
 */
public final class Admission {
    private final boolean memoryOvercommit;

    public Admission(boolean memoryOvercommit) {
        this.memoryOvercommit = memoryOvercommit;
    }

    public boolean memoryOvercommit() {
        return memoryOvercommit;
    }

    /**
     * Memory kept for the root partition (the service, the host's kernel and page cache): a tenth of the host's, at
     * least 512 MiB and at most 4 GiB — Hyper-V's root reserve grows with the host in the same way.
     */
    public static long rootReserve(long memTotal) {
        return Math.clamp(memTotal / 10, 512L << 20, 4L << 30);
    }

    /** What a VM costs the host: its memory and its VMM's overhead. */
    public static long need(VmConfig c) {
        return c.memoryBytes() + ResourceControls.vmmOverhead(c.memoryBytes());
    }

    /** Why {@code vm} cannot start next to {@code running} on {@code host}, or empty when it can. */
    public Optional<String> refusal(VmConfig vm, List<VmConfig> running, HostResources host) {
        return processors(vm, running, host).or(() -> memory(vm, running, host));
    }

    private Optional<String> processors(VmConfig vm, List<VmConfig> running, HostResources host) {
        String who = "VM '" + vm.name() + "'";
        int lps = host.logicalProcessors();
        if (vm.cpus() > lps) {
            return Optional.of(who + " has " + vm.cpus() + " virtual processors; the host has " + lps
                    + " logical processor" + (lps == 1 ? "" : "s") + " (a VM never gets more VPs than that)");
        }
        String affinity = vm.resources().processorAffinity();
        if (affinity != null) {
            BitSet outside = CpuList.parse(affinity);
            outside.andNot(host.onlineCpus());
            if (!outside.isEmpty()) {
                return Optional.of(who + "'s processor affinity " + affinity + " names CPUs the host does not have ("
                        + CpuList.format(outside) + "; online: " + CpuList.format(host.onlineCpus()) + ")");
            }
        }
        long reserve = (long) vm.cpus() * vm.resources().cpuReserve();
        if (reserve == 0) return Optional.empty();
        long reserved = 0;
        int reserving = 0;
        for (VmConfig r : running) {
            long x = (long) r.cpus() * r.resources().cpuReserve();
            reserved += x;
            if (x > 0) reserving++;
        }
        long capacity = 100L * lps;
        if (reserved + reserve <= capacity) return Optional.empty();
        return Optional.of(who + " reserves " + reserve + " % of a processor ("
                + vm.resources().cpuReserve() + " % of "
                + vm.cpus() + " VPs); the host has " + Math.max(0, capacity - reserved) + " % left: " + lps
                + " logical processors (" + capacity + " %), " + reserved + " % reserved by " + reserving
                + " running VM" + (reserving == 1 ? "" : "s"));
    }

    private Optional<String> memory(VmConfig vm, List<VmConfig> running, HostResources host) {
        if (memoryOvercommit) return Optional.empty();
        long need = need(vm);
        String needs = "VM '" + vm.name() + "' needs " + Sizes.human(need) + " (" + Sizes.human(vm.memoryBytes())
                + " of memory + " + Sizes.human(need - vm.memoryBytes()) + " for its VMM)";
        long reserve = rootReserve(host.memTotal());
        long given = running.stream().mapToLong(Admission::need).sum();
        long left = host.memTotal() - reserve - given;
        if (need > left) {
            return Optional.of(needs + "; the host has " + Sizes.human(Math.max(0, left)) + " left for VMs: "
                    + Sizes.human(host.memTotal()) + " total, " + Sizes.human(reserve)
                    + " kept for the root partition, " + Sizes.human(given) + " given to " + running.size()
                    + " running VM" + (running.size() == 1 ? "" : "s")
                    + " (the host service's memory over-commit setting allows it)");
        }
        if (need > host.memAvailable()) {
            return Optional.of(needs + "; the host has only " + Sizes.human(host.memAvailable())
                    + " available now (MemAvailable in /proc/meminfo: the host's other processes hold the rest)");
        }
        return Optional.empty();
    }
}
