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
        Instant modified,
        ResourceControls resources) {
    public VmConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(boot, "boot");
        disks = List.copyOf(disks == null ? List.of() : disks);
        networkAdapters = List.copyOf(networkAdapters == null ? List.of() : networkAdapters);
        integrationServices = integrationServices == null ? IntegrationServices.DEFAULT : integrationServices;
        notes = notes == null ? "" : notes;
        resources = resources == null ? ResourceControls.DEFAULT : resources;
    }

    /** A definition with the default resource controls (what files written before they existed hold). */
    public VmConfig(
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
        this(
                id,
                name,
                cpus,
                memoryBytes,
                boot,
                disks,
                networkAdapters,
                integrationServices,
                notes,
                created,
                modified,
                ResourceControls.DEFAULT);
    }

    public VmConfig withDisks(List<Disk> d, Instant now) {
        return new VmConfig(
                id,
                name,
                cpus,
                memoryBytes,
                boot,
                d,
                networkAdapters,
                integrationServices,
                notes,
                created,
                now,
                resources);
    }

    /** The same VM under another identity (an import with a new id, or a free name), on {@code d}. */
    public VmConfig withIdentity(UUID newId, String newName, List<Disk> d, Instant now) {
        return new VmConfig(
                newId,
                newName,
                cpus,
                memoryBytes,
                boot,
                d,
                networkAdapters,
                integrationServices,
                notes,
                created,
                now,
                resources);
    }

    public VmConfig withNetworkAdapters(List<NetworkAdapter> a, Instant now) {
        return new VmConfig(
                id, name, cpus, memoryBytes, boot, disks, a, integrationServices, notes, created, now, resources);
    }

    public VmConfig withResources(ResourceControls r, Instant now) {
        return new VmConfig(
                id, name, cpus, memoryBytes, boot, disks, networkAdapters, integrationServices, notes, created, now, r);
    }
}
