package org.viridian.management.resources;

import org.viridian.management.config.ResourceControls;

/**
 * A VM's {@link ResourceControls} as cgroup files say them, the same for v1 and v2 up to the files' own units.
 * {@code quotaUs}: CPU time the group may use per {@code periodUs} (-1: no limit), the limit's percent of the VM's VPs'
 * capacity, so 50 % of 2 VPs is one host CPU's worth; {@code weight}: Hyper-V's relative weight (1-10000, default 100),
 * which is cgroup v2's cpu.weight scale and, times 1024/100, v1's cpu.shares; {@code cpus}: the affinity (null: the
 * parent's CPUs); {@code memoryMax}: bytes (0: no limit).
 */
public record CgroupValues(long quotaUs, long periodUs, int weight, String cpus, long memoryMax) {
    /** The CFS period both versions default to. */
    public static final long PERIOD_US = 100_000;
    /** The smallest quota the kernel takes (1 ms). */
    static final long MIN_QUOTA_US = 1_000;

    public static CgroupValues of(ResourceControls c, int vps) {
        long quota = c.cpuLimit() >= 100 ? -1 : Math.max(MIN_QUOTA_US, PERIOD_US * c.cpuLimit() * vps / 100);
        return new CgroupValues(quota, PERIOD_US, c.cpuRelativeWeight(), c.processorAffinity(), c.memoryLimitBytes());
    }

    /** cgroup v1's cpu.shares for the weight: 100 is the default 1024; the kernel's range is 2-262144. */
    public long shares() {
        return Math.clamp(weight * 1024L / 100, 2, 262_144);
    }
}
