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
        String notes) {
    /** A disk to attach: path on the service's host; the slot is chosen when absent. */
    public record DiskRequest(Integer slot, String path, Boolean readOnly) {}
}
