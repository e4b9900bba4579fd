package org.viridian.management.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.viridian.machine.IntegrationService;
import org.viridian.management.config.IntegrationServices;

/** How the engine reads the VM's settings and what the integration services' answers become. */
class GuestIntegrationTest {
    @Test
    void theVmSettingsSelectTheServicesOffered() {
        assertThat(KvmEngine.offered(IntegrationServices.DEFAULT))
                .containsExactlyInAnyOrder(IntegrationService.values());
        assertThat(KvmEngine.offered(new IntegrationServices(false, true, false, true, true)))
                .containsExactlyInAnyOrder(IntegrationService.SHUTDOWN, IntegrationService.KEY_VALUE_EXCHANGE);
    }

    @Test
    void heartbeatIsOkOnlyWhileAnswersAreFresh() {
        Instant now = Instant.parse("2026-11-25T08:00:00Z");
        assertThat(GuestIntegration.heartbeat(false, now, now)).isEqualTo(GuestIntegration.Heartbeat.NOT_OFFERED);
        assertThat(GuestIntegration.heartbeat(true, null, now)).isEqualTo(GuestIntegration.Heartbeat.NO_CONTACT);
        assertThat(GuestIntegration.heartbeat(true, now.minusSeconds(2), now)).isEqualTo(GuestIntegration.Heartbeat.OK);
        assertThat(GuestIntegration.heartbeat(true, now.minusSeconds(6), now))
                .isEqualTo(GuestIntegration.Heartbeat.NO_CONTACT);
    }

    @Test
    void theAutoPoolGivesOsNameAndEachIpv4Address() {
        var k = GuestIntegration.GuestKvp.fromAutoPool(Map.of(
                "OSName",
                "Debian GNU/Linux",
                "NetworkAddressIPv4",
                "10.0.0.5; 192.168.1.7;",
                "FullyQualifiedDomainName",
                "web1"));
        assertThat(k.answered()).isTrue();
        assertThat(k.osName()).isEqualTo("Debian GNU/Linux");
        assertThat(k.osVersion()).isNull();
        assertThat(k.ipv4Addresses()).containsExactly("10.0.0.5", "192.168.1.7");
        assertThat(GuestIntegration.GuestKvp.fromAutoPool(Map.of()).ipv4Addresses())
                .isEmpty();
    }
}
