package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.viridian.management.auth.Principal;
import org.viridian.management.resources.ProcessMemory;
import org.viridian.management.service.VmMetrics;
import org.viridian.management.service.VmService;
import org.viridian.management.state.VmState;

/**
 * {@code GET /metrics}: the service's and its running VMs' metrics in Prometheus' text format (a token sees the VMs it
 * may access; the service-wide figures need an admin); {@code GET /api/v1/vms/{vm}/metrics}: one VM's as JSON.
 */
final class MetricsRoutes {
    static final String PATH = "/metrics";

    private final VmService vms;
    private final Access access;
    private final ApiRequests requests;

    MetricsRoutes(VmService vms, Access access, ApiRequests requests) {
        this.vms = vms;
        this.access = access;
        this.requests = requests;
    }

    void register(Routes r) {
        r.add(HandlerType.GET, PATH, this::scrape);
        r.add(
                HandlerType.GET,
                ApiServer.BASE + "/vms/{vm}/metrics",
                ctx -> ctx.json(vms.metrics(access.vm(ctx).config().id().toString())));
        // The guest's screen (synthetic video) as a PNG, read from the VM's VRAM when asked.
        r.add(HandlerType.GET, ApiServer.BASE + "/vms/{vm}/screenshot", ctx -> ctx.contentType("image/png")
                .header("Cache-Control", "no-store")
                .result(vms.screenshot(access.vm(ctx).config().id().toString())));
    }

    private void scrape(Context ctx) {
        Principal p = Access.principal(ctx);
        PrometheusText t = new PrometheusText();
        declare(t);
        Map<VmState, Integer> byState = new EnumMap<>(VmState.class);
        for (VmState s : VmState.values()) byState.put(s, 0);
        for (VmService.Measured m : vms.measureAll()) {
            if (!p.mayAccess(m.view().config())) continue;
            byState.merge(m.view().status().state(), 1, Integer::sum);
            if (m.metrics() != null)
                vm(
                        t,
                        m.metrics(),
                        m.view().config().name(),
                        m.view().config().id().toString());
        }
        byState.forEach((s, n) -> t.sample("viridian_vms", n, "state", s.wire()));
        if (p.isAdmin()) service(t);
        ctx.contentType(PrometheusText.CONTENT_TYPE).result(t.render());
    }

    /** Every family, in the order the document lists them. */
    private static void declare(PrometheusText t) {
        t.family("viridian_vms", "gauge", "VMs this service owns, by state (those the caller may see).")
                .family(
                        "viridian_vm_cpu_seconds_total",
                        "counter",
                        "CPU time of each virtual processor's thread (the guest's own time included).")
                .family(
                        "viridian_vm_exits_total",
                        "counter",
                        "Exits to user space per virtual processor, by KVM exit reason (those KVM handles in the"
                                + " kernel are not counted).")
                .family(
                        "viridian_vm_hypercalls_total",
                        "counter",
                        "Hypercalls that reached the host, by call code (KVM answers the SMP calls itself).")
                .family(
                        "viridian_vm_vmbus_signals_total",
                        "counter",
                        "VMBus channel signals: from_guest (HvSignalEvent) and to_guest (event flag and interrupt).")
                .family("viridian_vm_disk_requests_total", "counter", "Disk reads and writes completed.")
                .family("viridian_vm_disk_bytes_total", "counter", "Bytes read and written by the guest.")
                .family("viridian_vm_disk_errors_total", "counter", "Disk reads and writes that failed.")
                .family(
                        "viridian_vm_disk_latency_seconds",
                        "histogram",
                        "Disk request latency, from the request leaving the guest's ring to its completion.")
                .family(
                        "viridian_vm_disk_other_commands_total",
                        "counter",
                        "SCSI commands other than reads and writes (flush, unmap, inquiry, ...).")
                .family(
                        "viridian_vm_disk_max_iops",
                        "gauge",
                        "The operations per second the disk is held to now (0: no limit).")
                .family(
                        "viridian_vm_disk_max_bytes_per_second",
                        "gauge",
                        "The bytes per second the disk is held to now (0: no limit).")
                .family(
                        "viridian_vm_network_frames_total",
                        "counter",
                        "Frames the guest transmitted and received on each network adapter.")
                .family("viridian_vm_network_bytes_total", "counter", "Bytes the guest transmitted and received.")
                .family(
                        "viridian_vm_network_drops_total",
                        "counter",
                        "Frames and messages a synthetic network adapter dropped or refused, by reason.")
                .family("viridian_vm_memory_assigned_bytes", "gauge", "Guest RAM assigned to the VM.")
                .family(
                        "viridian_vm_memory_resident_bytes",
                        "gauge",
                        "Guest RAM resident in host memory: the pages touched and not swapped out (mincore).")
                .family(
                        "viridian_vm_process_resident_bytes",
                        "gauge",
                        "Resident memory of the process running the VM (its worker), the guest RAM it touched included.")
                .family(
                        "viridian_vm_overhead_resident_bytes",
                        "gauge",
                        "Resident memory of the VM's process beyond its guest RAM: what the VMM itself holds.")
                .family(
                        "viridian_api_requests_total",
                        "counter",
                        "HTTP API requests answered by this service, by method and status code.")
                .family(
                        "process_resident_memory_bytes",
                        "gauge",
                        "Resident memory of the service's process (guest RAM of its VMs included).");
    }

    private static void vm(PrometheusText t, VmMetrics m, String name, String id) {
        for (VmMetrics.Vp vp : m.vps()) {
            String i = Integer.toString(vp.index());
            t.sample("viridian_vm_cpu_seconds_total", vp.cpuNanos() / 1e9, "vm", name, "id", id, "vp", i);
            vp.exits().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> t.sample(
                            "viridian_vm_exits_total",
                            e.getValue(),
                            "vm",
                            name,
                            "id",
                            id,
                            "vp",
                            i,
                            "reason",
                            e.getKey()));
        }
        m.hypercalls().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> t.sample(
                        "viridian_vm_hypercalls_total", e.getValue(), "vm", name, "id", id, "code", e.getKey()));
        VmMetrics.VmbusSignals s = m.vmbusSignals();
        t.sample("viridian_vm_vmbus_signals_total", s.fromGuest(), "vm", name, "id", id, "direction", "from_guest");
        t.sample("viridian_vm_vmbus_signals_total", s.toGuest(), "vm", name, "id", id, "direction", "to_guest");
        for (VmMetrics.Disk d : m.disks()) {
            String disk = Integer.toString(d.slot());
            for (var op : List.of(Map.entry("read", d.read()), Map.entry("write", d.write()))) {
                VmMetrics.Io io = op.getValue();
                String[] l = {"vm", name, "id", id, "disk", disk, "op", op.getKey()};
                t.sample("viridian_vm_disk_requests_total", io.requests(), l);
                t.sample("viridian_vm_disk_bytes_total", io.bytes(), l);
                t.sample("viridian_vm_disk_errors_total", io.errors(), l);
                t.histogram(
                        "viridian_vm_disk_latency_seconds",
                        io.latencyBoundsSeconds(),
                        io.latencyBuckets(),
                        io.latencyNanos() / 1e9,
                        l);
            }
            t.sample("viridian_vm_disk_other_commands_total", d.otherCommands(), "vm", name, "id", id, "disk", disk);
            t.sample("viridian_vm_disk_max_iops", d.maxIops(), "vm", name, "id", id, "disk", disk);
            t.sample(
                    "viridian_vm_disk_max_bytes_per_second", d.maxBytesPerSecond(), "vm", name, "id", id, "disk", disk);
        }
        for (VmMetrics.NetworkAdapter a : m.networkAdapters()) {
            String[] tx = {"vm", name, "id", id, "adapter", a.name(), "direction", "transmit"};
            String[] rx = {"vm", name, "id", id, "adapter", a.name(), "direction", "receive"};
            t.sample("viridian_vm_network_frames_total", a.transmittedFrames(), tx);
            t.sample("viridian_vm_network_frames_total", a.receivedFrames(), rx);
            t.sample("viridian_vm_network_bytes_total", a.transmittedBytes(), tx);
            t.sample("viridian_vm_network_bytes_total", a.receivedBytes(), rx);
            a.drops()
                    .forEach((why, n) -> t.sample(
                            "viridian_vm_network_drops_total",
                            n,
                            "vm",
                            name,
                            "id",
                            id,
                            "adapter",
                            a.name(),
                            "reason",
                            why));
        }
        t.sample("viridian_vm_memory_assigned_bytes", m.memory().assignedBytes(), "vm", name, "id", id);
        if (m.memory().residentBytes() >= 0)
            t.sample("viridian_vm_memory_resident_bytes", m.memory().residentBytes(), "vm", name, "id", id);
        if (m.memory().processResidentBytes() >= 0)
            t.sample("viridian_vm_process_resident_bytes", m.memory().processResidentBytes(), "vm", name, "id", id);
        if (m.memory().overheadBytes() >= 0)
            t.sample("viridian_vm_overhead_resident_bytes", m.memory().overheadBytes(), "vm", name, "id", id);
    }

    private void service(PrometheusText t) {
        requests.snapshot()
                .forEach((k, n) -> t.sample(
                        "viridian_api_requests_total",
                        n,
                        "method",
                        k.method().toLowerCase(Locale.ROOT),
                        "code",
                        Integer.toString(k.status())));
        long rss = ProcessMemory.residentBytes();
        if (rss >= 0) t.sample("process_resident_memory_bytes", rss);
    }
}
