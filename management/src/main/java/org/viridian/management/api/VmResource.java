package org.viridian.management.api;

import java.time.Instant;
import java.util.List;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.Disk;
import org.viridian.management.config.IntegrationServices;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.config.ResourceControls;
import org.viridian.management.config.Sizes;
import org.viridian.management.config.VmConfig;
import org.viridian.management.resources.ControlsStatus;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.VmView;
import org.viridian.management.state.LastExit;
import org.viridian.management.state.VmState;

/** A VM as the API shows it: its definition, its state and links to what can be done with it. */
public record VmResource(
        String id,
        String name,
        VmState state,
        Instant stateSince,
        LastExit lastExit,
        int cpus,
        long memoryBytes,
        String memory,
        BootSource boot,
        List<DiskResource> disks,
        List<NetworkAdapter> networkAdapters,
        IntegrationServices integrationServices,
        String notes,
        Instant created,
        Instant modified,
        GuestResource guest,
        Resources resources,
        ControlsStatus resourceControls,
        String href) {
    /**
     * The VM's resource controls ({@link ResourceControls}); {@code memoryLimit} as a size, "none" for no limit.
     * {@code resourceControls} (while it runs) says whether they hold and, where not, why.
     */
    public record Resources(
            String processorAffinity,
            int cpuLimit,
            int cpuReserve,
            int cpuRelativeWeight,
            long memoryLimitBytes,
            String memoryLimit) {
        static Resources of(ResourceControls r) {
            return new Resources(
                    r.processorAffinity(),
                    r.cpuLimit(),
                    r.cpuReserve(),
                    r.cpuRelativeWeight(),
                    r.memoryLimitBytes(),
                    r.memoryLimitBytes() == 0 ? "none" : Sizes.format(r.memoryLimitBytes()));
        }
    }

    /** A disk as the API shows it: its limits always (0: none), where its stored form leaves out zeros. */
    public record DiskResource(int slot, String path, boolean readOnly, long maxIops, long maxBytesPerSecond) {
        public static DiskResource of(Disk d) {
            return new DiskResource(d.slot(), d.path(), d.readOnly(), d.maxIops(), d.maxBytesPerSecond());
        }

        static List<DiskResource> of(List<Disk> disks) {
            return disks.stream().map(DiskResource::of).toList();
        }
    }

    /**
     * What the running guest's integration services say: heartbeat "ok", "noContact" or "notOffered" with the last
     * answer's time; from KVP ("ok", "noAnswer", "notOffered") the guest's OS and IPv4 addresses when it told them.
     */
    public record GuestResource(
            String heartbeat,
            Instant lastHeartbeat,
            String kvp,
            String osName,
            String osVersion,
            String fullyQualifiedDomainName,
            List<String> ipv4Addresses) {
        static GuestResource of(GuestIntegration g) {
            if (g == null) return null;
            String hb =
                    switch (g.heartbeat()) {
                        case OK -> "ok";
                        case NO_CONTACT -> "noContact";
                        case NOT_OFFERED -> "notOffered";
                    };
            GuestIntegration.GuestKvp k = g.kvp();
            if (k == null) return new GuestResource(hb, g.lastHeartbeat(), "notOffered", null, null, null, List.of());
            return new GuestResource(
                    hb,
                    g.lastHeartbeat(),
                    k.answered() ? "ok" : "noAnswer",
                    k.osName(),
                    k.osVersion(),
                    k.fullyQualifiedDomainName(),
                    k.ipv4Addresses());
        }
    }

    public static VmResource of(VmView v) {
        VmConfig c = v.config();
        return new VmResource(
                c.id().toString(),
                c.name(),
                v.status().state(),
                v.status().since(),
                v.status().lastExit(),
                c.cpus(),
                c.memoryBytes(),
                Sizes.format(c.memoryBytes()),
                c.boot(),
                DiskResource.of(c.disks()),
                c.networkAdapters(),
                c.integrationServices(),
                c.notes(),
                c.created(),
                c.modified(),
                GuestResource.of(v.guest()),
                Resources.of(c.resources()),
                v.controls(),
                "/api/v1/vms/" + c.id());
    }
}
