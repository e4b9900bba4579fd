package org.viridian.management.config;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** A VM's persisted definition: everything needed to build it again after a restart of the service. */
public record VmConfig(
        UUID id,
        String name,
        int cpus,
        long memoryBytes,
        BootSource boot,
        List<Disk> disks,
        List<NetworkAdapter> networkAdapters,
        IntegrationServices integrationServices,
        String notes,
        Instant created,
        Instant modified) {
    public VmConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(boot, "boot");
        disks = List.copyOf(disks == null ? List.of() : disks);
        networkAdapters = List.copyOf(networkAdapters == null ? List.of() : networkAdapters);
        integrationServices = integrationServices == null ? IntegrationServices.DEFAULT : integrationServices;
        notes = notes == null ? "" : notes;
    }

    public VmConfig withDisks(List<Disk> d, Instant now) {
        return new VmConfig(
                id, name, cpus, memoryBytes, boot, d, networkAdapters, integrationServices, notes, created, now);
    }

    public VmConfig withNetworkAdapters(List<NetworkAdapter> a, Instant now) {
        return new VmConfig(id, name, cpus, memoryBytes, boot, disks, a, integrationServices, notes, created, now);
    }
}
