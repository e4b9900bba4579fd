package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;
import org.viridian.machine.host.HostCheck;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.TestService;

/** The real KVM engine on a host that cannot run VMs: starting a VM is a clear 409, not a 5xx, and changes nothing. */
class NoKvmTest {
    @Test
    void startingAVmWithoutKvmIsAClearConflict() {
        assumeFalse(HostCheck.run().canRunVms(), "this host can run VMs; the nested-KVM tests cover starting them");
        try (TestService s =
                TestService.start(TestService.tempDir(), new KvmEngine(TestService.tempDir()), false, null)) {
            ApiClient api = s.api;
            api.post("/api/v1/vms", "{\"name\":\"demo\"}");
            ApiClient.Response r = api.post("/api/v1/vms/demo/start", null);
            assertThat(r.status()).isEqualTo(409);
            assertThat(r.json().at("/error/code").asText()).isEqualTo("host_cannot_run_vms");
            assertThat(r.json().at("/error/message").asText())
                    .contains("cannot start VM 'demo'")
                    .contains("/dev/kvm");
            assertThat(api.get("/api/v1/vms/demo").json().get("state").asText()).isEqualTo("off");
            assertThat(api.get("/api/v1/host").json().get("canRunVms").asBoolean())
                    .isFalse();
        }
    }
}
