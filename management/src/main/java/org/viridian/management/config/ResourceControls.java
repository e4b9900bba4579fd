package org.viridian.management.config;

/**
 * A VM's share of the host, after Hyper-V's processor settings (Set-VMProcessor -Maximum, -Reserve, -RelativeWeight)
 * plus what Hyper-V leaves to the root partition and Linux offers: processor affinity and a memory limit.
 *
 * <ul>
 *   <li>{@code processorAffinity}: the host CPUs the VM's process may run on ("0-3,6"); null: all of them.
 *   <li>{@code cpuLimit}: percent of the VM's virtual processors' capacity (Hyper-V's "virtual machine limit"): a
 *       2-VP VM at 50 % gets at most one host CPU's worth of time; 100: no limit.
 *   <li>{@code cpuReserve}: percent of the VM's VPs' capacity kept for it (Hyper-V's "virtual machine reserve");
 *       Linux has no hard reservation for normal tasks, so it is admitted (the reservations of running VMs never
 *       exceed the host's processors) rather than enforced; 0: none.
 *   <li>{@code cpuRelativeWeight}: 1-10000, Hyper-V's default 100 (cgroup v2's default weight too).
 *   <li>{@code memoryLimitBytes}: a ceiling on the VM's whole process (guest memory and the VMM's own); 0: none.
 * </ul>
 */
public record ResourceControls(
        String processorAffinity, int cpuLimit, int cpuReserve, int cpuRelativeWeight, long memoryLimitBytes) {
    public static final int DEFAULT_WEIGHT = 100;
    public static final ResourceControls DEFAULT = new ResourceControls(null, 100, 0, DEFAULT_WEIGHT, 0);

    /** What a VM's process needs beyond its guest memory: a worker JVM's heap, metaspace and code (128 MiB). */
    public static final long VMM_BASE = 128L << 20;

    /**
     * The host memory a VM costs beyond its guest memory, counted by admission control and the floor of a memory
     * limit: {@link #VMM_BASE} (the issue measured 88 MiB peak for a whole 64 MiB-guest process, so 128 MiB leaves room
     * for devices' buffers) plus 1/256 of the guest memory for KVM's page tables, reverse maps and dirty bitmaps
     * (about 8 bytes of EPT entry and 8 of rmap per 4 KiB page is 1/256), rounded up to a MiB.
     */
    public static long vmmOverhead(long memoryBytes) {
        long perMemory = (memoryBytes / 256 + (1L << 20) - 1) & -(1L << 20);
        return VMM_BASE + perMemory;
    }
}
