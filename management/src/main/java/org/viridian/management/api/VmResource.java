package org.viridian.management.api;

import org.viridian.management.config.BootSource;
import org.viridian.management.config.Disk;
import org.viridian.management.config.IntegrationServices;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.Sizes;
import org.viridian.management.config.VmConfig;
import org.viridian.management.service.VmView;
import org.viridian.management.state.LastExit;
import org.viridian.management.state.VmState;

import java.time.Instant;
import java.util.List;

/** A VM as the API shows it: its definition, its state and links to what can be done with it. */
public record VmResource(String id, String name, VmState state, Instant stateSince, LastExit lastExit, int cpus,
                         long memoryBytes, String memory, BootSource boot, List<Disk> disks,
                         List<NetworkAdapter> networkAdapters, IntegrationServices integrationServices, String notes,
                         Instant created, Instant modified, String href) {
    public static VmResource of(VmView v) {
        VmConfig c = v.config();
        return new VmResource(c.id().toString(), c.name(), v.status().state(), v.status().since(), v.status().lastExit(),
                c.cpus(), c.memoryBytes(), Sizes.format(c.memoryBytes()), c.boot(), c.disks(), c.networkAdapters(),
                c.integrationServices(), c.notes(), c.created(), c.modified(), "/api/v1/vms/" + c.id());
    }
}
