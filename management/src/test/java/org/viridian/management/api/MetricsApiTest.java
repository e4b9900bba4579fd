package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.config.Json;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.PrometheusParser;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;

/**
 * /metrics in Prometheus' text format, read back by a strict parser, and /api/v1/vms/{vm}/metrics as JSON, with the
 * scripted engine's VMs (whose figures grow with the time they ran); the same token rules as the rest of the API.
 */
class MetricsApiTest {
    /** GET /api/v1/vms/{vm}/screenshot: the guest's screen as a PNG while it runs, 409 otherwise. */
    @Test
    void aRunningVmsScreenIsAPng() throws Exception {
        try (TestService s = TestService.scripted()) {
            s.api.post("/api/v1/vms", "{\"name\":\"shown\"}");
            assertThat(s.api.get("/api/v1/vms/shown/screenshot").status()).isEqualTo(409);
            s.api.awaitJob(s.api.post("/api/v1/vms/shown/start", null));
            ApiClient.Response r = s.api.get("/api/v1/vms/shown/screenshot");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("image/png");
            assertThat(r.body()).startsWith("\uFFFDPNG"); // the signature, its first byte not UTF-8
        }
    }

    @Test
    void aRunningVmsFiguresAreExposedAndGrow() throws Exception {
        try (TestService s = TestService.scripted()) {
            Path disk = Files.createTempFile(s.stateDir, "disk", ".img");
            String id = s.api.post(
                            "/api/v1/vms",
                            "{\"name\":\"metered\",\"cpus\":2,\"disks\":[{\"path\":\"" + disk
                                    + "\",\"maxIops\":300}],\"networkAdapters\":[{\"name\":\"lan\",\"switchName\":\"nat\"}]}")
                    .json()
                    .get("id")
                    .asText();
            s.api.post("/api/v1/vms", "{\"name\":\"idle\"}");
            // Not running: no metrics to read.
            assertThat(s.api.get("/api/v1/vms/metered/metrics")
                            .json()
                            .at("/error/code")
                            .asText())
                    .isEqualTo("invalid_state");
            s.api.awaitJob(s.api.post("/api/v1/vms/metered/start", null));
            Thread.sleep(300);

            ApiClient.Response r = s.api.get("/metrics");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
            PrometheusParser.Document first = PrometheusParser.parse(r.body());
            assertThat(first.types())
                    .containsEntry("viridian_vm_cpu_seconds_total", "counter")
                    .containsEntry("viridian_vm_disk_latency_seconds", "histogram")
                    .containsEntry("viridian_vm_memory_resident_bytes", "gauge");
            String[] vm = {"vm", "metered", "id", id};
            assertThat(first.value("viridian_vms", "state", "running")).isEqualTo(1);
            assertThat(first.value("viridian_vms", "state", "off")).isEqualTo(1);
            double cpu0 = first.value("viridian_vm_cpu_seconds_total", with(vm, "vp", "0"));
            double io0 = first.value("viridian_vm_exits_total", with(vm, "vp", "0", "reason", "io"));
            assertThat(cpu0).isPositive();
            assertThat(io0).isPositive();
            assertThat(first.find("viridian_vm_cpu_seconds_total", vm)).hasSize(2);
            assertThat(first.value("viridian_vm_hypercalls_total", with(vm, "code", "0x005d")))
                    .isPositive();
            assertThat(first.value("viridian_vm_vmbus_signals_total", with(vm, "direction", "from_guest")))
                    .isPositive();
            assertThat(first.value("viridian_vm_disk_bytes_total", with(vm, "disk", "0", "op", "read")))
                    .isPositive();
            assertThat(first.value(
                            "viridian_vm_disk_latency_seconds_bucket",
                            with(vm, "disk", "0", "op", "read", "le", "+Inf")))
                    .isEqualTo(first.value("viridian_vm_disk_requests_total", with(vm, "disk", "0", "op", "read")));
            assertThat(first.value("viridian_vm_disk_max_iops", with(vm, "disk", "0")))
                    .isEqualTo(300);
            assertThat(first.value("viridian_vm_disk_max_bytes_per_second", with(vm, "disk", "0")))
                    .isZero();
            assertThat(first.value(
                            "viridian_vm_network_bytes_total", with(vm, "adapter", "lan", "direction", "receive")))
                    .isPositive();
            assertThat(first.value(
                            "viridian_vm_network_drops_total", with(vm, "adapter", "lan", "reason", "rx_filtered")))
                    .isEqualTo(3);
            assertThat(first.value("viridian_vm_memory_assigned_bytes", vm)).isEqualTo(64 << 20);
            // The process that runs the VM (here the service itself) holds the guest's RAM and more.
            assertThat(first.value("viridian_vm_process_resident_bytes", vm))
                    .isGreaterThan(first.value("viridian_vm_memory_resident_bytes", vm));
            assertThat(first.value("viridian_vm_overhead_resident_bytes", vm)).isPositive();
            // The idle VM is off: counted by state, no series of its own.
            assertThat(first.find("viridian_vm_cpu_seconds_total", "vm", "idle"))
                    .isEmpty();
            // Service-wide: the requests answered so far (an admin on loopback sees them).
            assertThat(first.value("viridian_api_requests_total", "method", "post", "code", "201"))
                    .isEqualTo(2);
            assertThat(first.value("process_resident_memory_bytes")).isPositive();

            Thread.sleep(200);
            PrometheusParser.Document second =
                    PrometheusParser.parse(s.api.get("/metrics").body());
            assertThat(second.value("viridian_vm_cpu_seconds_total", with(vm, "vp", "0")))
                    .isGreaterThan(cpu0);
            assertThat(second.value("viridian_vm_exits_total", with(vm, "vp", "0", "reason", "io")))
                    .isGreaterThan(io0);
            assertThat(second.value("viridian_api_requests_total", "method", "get", "code", "200"))
                    .isGreaterThan(first.value("viridian_api_requests_total", "method", "get", "code", "200"));

            // The same figures as JSON, for the web page.
            JsonNode m = s.api.get("/api/v1/vms/metered/metrics").json();
            assertThat(m.get("vps")).hasSize(2);
            assertThat(m.at("/vps/0/cpuNanos").asLong()).isPositive();
            assertThat(m.at("/vps/0/exits/io").asLong()).isPositive();
            assertThat(m.at("/disks/0/read/latencyBuckets")).hasSize(4);
            assertThat(m.at("/networkAdapters/0/name").asText()).isEqualTo("lan");
            assertThat(m.at("/memory/residentBytes").asLong()).isPositive();
            assertThat(m.at("/memory/processResidentBytes").asLong())
                    .isGreaterThan(m.at("/memory/residentBytes").asLong());
            assertThat(m.get("at").asText()).isNotEmpty();
            s.api.awaitJob(s.api.post("/api/v1/vms/metered/stop", null));
            assertThat(PrometheusParser.parse(s.api.get("/metrics").body())
                            .find("viridian_vm_cpu_seconds_total", "vm", "metered"))
                    .isEmpty();
        }
    }

    @Test
    void metricsNeedATokenAndAScopedTokenSeesOnlyItsVms() throws Exception {
        Path dir = TestService.tempDir();
        TokenStore tokens = new TokenStore(dir, Json.mapper());
        String admin = tokens.create("ops", true, List.of());
        String alice = tokens.create("alice", false, List.of("alice-vm"));
        try (TestService s = TestService.start(dir, new ScriptedEngine(), true, null)) {
            ApiClient ops = s.api.withToken(admin), al = s.api.withToken(alice);
            assertThat(s.api.get("/metrics").status()).isEqualTo(401);
            assertThat(s.api.withToken("vdn_forged").get("/metrics").status()).isEqualTo(401);
            ops.post("/api/v1/vms", "{\"name\":\"alice-vm\"}");
            ops.post("/api/v1/vms", "{\"name\":\"bob-vm\"}");
            ops.awaitJob(ops.post("/api/v1/vms/alice-vm/start", null));
            ops.awaitJob(ops.post("/api/v1/vms/bob-vm/start", null));

            PrometheusParser.Document all =
                    PrometheusParser.parse(ops.get("/metrics").body());
            assertThat(all.value("viridian_vms", "state", "running")).isEqualTo(2);
            assertThat(all.find("viridian_vm_cpu_seconds_total", "vm", "bob-vm"))
                    .isNotEmpty();

            PrometheusParser.Document mine =
                    PrometheusParser.parse(al.get("/metrics").body());
            assertThat(mine.value("viridian_vms", "state", "running")).isEqualTo(1);
            assertThat(mine.find("viridian_vm_cpu_seconds_total", "vm", "alice-vm"))
                    .isNotEmpty();
            assertThat(mine.find("viridian_vm_cpu_seconds_total", "vm", "bob-vm"))
                    .isEmpty();
            assertThat(mine.find("viridian_api_requests_total"))
                    .as("service-wide: admins only")
                    .isEmpty();
            assertThat(mine.find("process_resident_memory_bytes")).isEmpty();
            // The 401s above were counted too.
            assertThat(all.value("viridian_api_requests_total", "method", "get", "code", "401"))
                    .isEqualTo(2);

            assertThat(al.get("/api/v1/vms/bob-vm/metrics").status()).isEqualTo(403);
            assertThat(al.get("/api/v1/vms/alice-vm/metrics").status()).isEqualTo(200);
            assertThat(s.api.get("/api/v1/vms/alice-vm/metrics").status()).isEqualTo(401);
        }
    }

    private static String[] with(String[] labels, String... more) {
        String[] out = java.util.Arrays.copyOf(labels, labels.length + more.length);
        System.arraycopy(more, 0, out, labels.length, more.length);
        return out;
    }
}
