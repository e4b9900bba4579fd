package org.viridian.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Integration-service names as settings and the CLI write them, and the spec's selection. */
class IntegrationServiceTest {
    @Test
    void namesAreTheSettingNamesInAnyCaseWithDashesOrKvp() {
        assertThat(IntegrationService.named("timeSync")).isEqualTo(IntegrationService.TIME_SYNC);
        assertThat(IntegrationService.named("time-sync")).isEqualTo(IntegrationService.TIME_SYNC);
        assertThat(IntegrationService.named("HEARTBEAT")).isEqualTo(IntegrationService.HEARTBEAT);
        assertThat(IntegrationService.named("kvp")).isEqualTo(IntegrationService.KEY_VALUE_EXCHANGE);
        assertThat(IntegrationService.named("keyValueExchange")).isEqualTo(IntegrationService.KEY_VALUE_EXCHANGE);
        assertThatThrownBy(() -> IntegrationService.named("vss"))
                .hasMessageContaining("unknown integration service 'vss'")
                .hasMessageContaining("timeSync");
    }

    @Test
    void aSpecOffersEveryServiceUnlessToldOtherwise() {
        VmSpec spec = new VmSpec("t", 1, 32 << 20, Path.of("k"), null, "");
        assertThat(spec.integrationServices()).containsExactlyInAnyOrder(IntegrationService.values());
        VmSpec fewer = spec.withIntegrationServices(EnumSet.of(IntegrationService.SHUTDOWN));
        assertThat(fewer.integrationServices()).containsExactly(IntegrationService.SHUTDOWN);
        assertThat(fewer.cpus()).isEqualTo(1);
        assertThat(spec.withIntegrationServices(Set.of()).integrationServices()).isEmpty();
    }
}
