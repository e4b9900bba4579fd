package org.viridian.management.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A client's VM definition, for create (absent fields get defaults) and update (absent fields stay as they are).
 * {@code memory} is a byte count or a size such as "512M"; everything is validated by {@link VmConfigs}.
 */
public record VmRequest(
        String name,
        Integer cpus,
        JsonNode memory,
        BootSource boot,
        List<DiskRequest> disks,
        List<NetworkAdapter> networkAdapters,
        IntegrationServices integrationServices,
        String notes,
        ResourceRequest resources) {
    public VmRequest(
            String name,
            Integer cpus,
            JsonNode memory,
            BootSource boot,
            List<DiskRequest> disks,
            List<NetworkAdapter> networkAdapters,
            IntegrationServices integrationServices,
            String notes) {
        this(name, cpus, memory, boot, disks, networkAdapters, integrationServices, notes, null);
    }

    /**
     * Changes to the VM's {@link ResourceControls}; absent fields stay as they are. {@code processorAffinity} "" means
     * every host CPU; {@code memoryLimit} is a byte count or size, 0 or "none" for no limit.
     */
    public record ResourceRequest(
            String processorAffinity,
            Integer cpuLimit,
            Integer cpuReserve,
            Integer cpuRelativeWeight,
            JsonNode memoryLimit) {}

    /**
     * A disk to attach: path on the service's host; the slot is chosen when absent. {@code maxIops} and
     * {@code maxBytesPerSecond} (a byte count or a size such as "50M"; 0 or "none": no limit) cap its I/O.
     */
    public record DiskRequest(Integer slot, String path, Boolean readOnly, Long maxIops, JsonNode maxBytesPerSecond) {
        public DiskRequest(Integer slot, String path, Boolean readOnly) {
            this(slot, path, readOnly, null, null);
        }
    }

    /** New I/O limits for an attached disk (as in {@link DiskRequest}); absent fields stay as they are. */
    public record DiskLimitsRequest(Long maxIops, JsonNode maxBytesPerSecond) {}
}
