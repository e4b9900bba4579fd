package org.viridian.machine;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.vswitch.PortSpec;

/**
 * What `viridian run` and the host service ask for: processors, memory, and the kernel to boot (a Multiboot ELF, a
 * Linux bzImage or an ELF vmlinux) with its initrd and command line; {@code hyperV}: whether the partition offers the
 * Hyper-V hypervisor interface (synthetic CPUID/MSRs, hypercalls, SynIC) — on unless asked otherwise;
 * {@code integrationServices}: which integration services VMBus offers the guest (all unless asked otherwise);
 * {@code flightRecorderEntries}: the size of each VP's flight recorder (0: off); {@code diagnostics}: test and
 * benchmark devices (none in a normal VM).
 */
public record VmSpec(
        String name,
        int cpus,
        long memoryBytes,
        Path kernel,
        Path initrd,
        String cmdline,
        boolean hyperV,
        Set<IntegrationService> integrationServices,
        List<Disk> disks,
        List<NetworkAdapter> networkAdapters,
        int flightRecorderEntries,
        Diagnostics diagnostics) {
    /**
     * A virtual disk on the VM's synthetic SCSI controller: an image file (VHD, VHDX or raw), read-only or not, with
     * optional I/O limits (0: none), at {@code lun} (-1: its position in the list).
     */
    public record Disk(Path path, boolean readOnly, long iops, long bytesPerSecond, int lun) {
        public Disk {
            Objects.requireNonNull(path, "disk path");
            if (iops < 0 || bytesPerSecond < 0)
                throw new IllegalArgumentException("disk I/O limits must not be negative");
            if (lun < -1 || lun > 254) throw new IllegalArgumentException("disk LUN " + lun + " is outside 0..254");
        }

        public Disk(Path path, boolean readOnly, long iops, long bytesPerSecond) {
            this(path, readOnly, iops, bytesPerSecond, -1);
        }

        public Disk(Path path, boolean readOnly) {
            this(path, readOnly, 0, 0);
        }
    }

    /**
     * A synthetic network adapter (served by NetVSP) on a port of the virtual switch {@code switchName}, with the
     * port's MAC address and policies. The switch must exist when the VM is built.
     */
    public record NetworkAdapter(String switchName, PortSpec port) {
        public NetworkAdapter {
            Objects.requireNonNull(switchName, "switch name");
            Objects.requireNonNull(port, "port");
        }
    }

    public VmSpec(
            String name,
            int cpus,
            long memoryBytes,
            Path kernel,
            Path initrd,
            String cmdline,
            boolean hyperV,
            Set<IntegrationService> integrationServices,
            List<Disk> disks) {
        this(
                name,
                cpus,
                memoryBytes,
                kernel,
                initrd,
                cmdline,
                hyperV,
                integrationServices,
                disks,
                List.of(),
                FlightRecorder.DEFAULT_CAPACITY,
                Diagnostics.NONE);
    }

    public VmSpec(
            String name,
            int cpus,
            long memoryBytes,
            Path kernel,
            Path initrd,
            String cmdline,
            boolean hyperV,
            Set<IntegrationService> integrationServices) {
        this(name, cpus, memoryBytes, kernel, initrd, cmdline, hyperV, integrationServices, List.of());
    }

    public VmSpec(String name, int cpus, long memoryBytes, Path kernel, Path initrd, String cmdline) {
        this(name, cpus, memoryBytes, kernel, initrd, cmdline, true);
    }

    public VmSpec(String name, int cpus, long memoryBytes, Path kernel, Path initrd, String cmdline, boolean hyperV) {
        this(name, cpus, memoryBytes, kernel, initrd, cmdline, hyperV, EnumSet.allOf(IntegrationService.class));
    }

    /** The same VM offering only {@code services}. */
    public VmSpec withIntegrationServices(Set<IntegrationService> services) {
        return with(services, disks, networkAdapters, flightRecorderEntries, diagnostics);
    }

    /** The same VM with these disks on its SCSI controller. */
    public VmSpec withDisks(List<Disk> list) {
        return with(integrationServices, list, networkAdapters, flightRecorderEntries, diagnostics);
    }

    /** The same VM with these synthetic network adapters (NetVSP), each on a port of an existing switch. */
    public VmSpec withNetworkAdapters(List<NetworkAdapter> list) {
        return with(integrationServices, disks, list, flightRecorderEntries, diagnostics);
    }

    /** The same VM with a flight recorder of {@code entries} per VP (0: none, e.g. to measure what it costs). */
    public VmSpec withFlightRecorder(int entries) {
        return with(integrationServices, disks, networkAdapters, entries, diagnostics);
    }

    /** The same VM with these diagnostic devices (tests, benchmarks, `viridian run --hv-echo/--vmbus-echo`). */
    public VmSpec withDiagnostics(Diagnostics d) {
        return with(integrationServices, disks, networkAdapters, flightRecorderEntries, d);
    }

    /** This VM with its optional parts replaced (what every wither above changes). */
    private VmSpec with(
            Set<IntegrationService> services,
            List<Disk> diskList,
            List<NetworkAdapter> adapters,
            int recorderEntries,
            Diagnostics diag) {
        return new VmSpec(
                name,
                cpus,
                memoryBytes,
                kernel,
                initrd,
                cmdline,
                hyperV,
                services,
                diskList,
                adapters,
                recorderEntries,
                diag);
    }

    public static final long MIN_MEMORY = 2L << 20;
    /** Hyper-V's limit of synthetic network adapters per VM. */
    public static final int MAX_NETWORK_ADAPTERS = 8;

    public VmSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kernel, "kernel");
        if (cpus < 1 || cpus > 255) throw new IllegalArgumentException("--cpus must be between 1 and 255, not " + cpus);
        if (memoryBytes < MIN_MEMORY) throw new IllegalArgumentException("--memory must be at least 2M");
        if (memoryBytes % 4096 != 0) throw new IllegalArgumentException("--memory must be a multiple of 4K");
        cmdline = cmdline == null ? "" : cmdline;
        integrationServices =
                integrationServices.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(integrationServices));
        disks = List.copyOf(disks);
        networkAdapters = List.copyOf(networkAdapters == null ? List.of() : networkAdapters);
        if (networkAdapters.size() > MAX_NETWORK_ADAPTERS)
            throw new IllegalArgumentException("at most " + MAX_NETWORK_ADAPTERS + " network adapters per VM");
        if (networkAdapters.stream().map(a -> a.port().mac()).distinct().count() != networkAdapters.size())
            throw new IllegalArgumentException("two network adapters of one VM have the same MAC address");
        if (!networkAdapters.isEmpty() && !hyperV)
            throw new IllegalArgumentException(
                    "network adapters are served over VMBus: they need the Hyper-V interface");
        if (disks.size() > 64) throw new IllegalArgumentException("at most 64 disks per VM, not " + disks.size());
        if (flightRecorderEntries < 0 || flightRecorderEntries > 1 << 20)
            throw new IllegalArgumentException("flight recorder entries must be 0..1048576: " + flightRecorderEntries);
        diagnostics = diagnostics == null ? Diagnostics.NONE : diagnostics;
        if (diagnostics.needHyperV() && !hyperV) {
            throw new IllegalArgumentException(
                    "the echo devices and benchmark hooks need the Hyper-V interface (drop --no-hyperv)");
        }
        if (!disks.isEmpty() && !hyperV)
            throw new IllegalArgumentException("disks are served over VMBus: they need the Hyper-V interface");
    }
}
