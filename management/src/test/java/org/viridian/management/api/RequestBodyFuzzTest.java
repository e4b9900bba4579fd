package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.viridian.management.config.InvalidConfigException;
import org.viridian.management.config.Json;
import org.viridian.management.config.SwitchConfig;
import org.viridian.management.config.SwitchConfigs;
import org.viridian.management.config.SwitchRequest;
import org.viridian.management.config.VmConfig;
import org.viridian.management.config.VmConfigs;
import org.viridian.management.config.VmRequest;
import org.viridian.management.service.ServiceException;

/**
 * REST request bodies as the API reads them: the API's own Jackson mapper and Requests.parse (strict JSON, 400s),
 * then the validation create/update/attach apply (VmConfigs). Rule: a 400 (ServiceException with status 400 or
 * InvalidConfigException, both answered as such by ApiServer) or a valid configuration; any other exception would
 * be a 500.
 */
class RequestBodyFuzzTest {
    private static final Requests REQUESTS = new Requests(Json.mapper());
    private static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");

    @FuzzTest
    void vmAndDiskBodies(FuzzedDataProvider data) {
        boolean disk = data.consumeBoolean();
        String body = data.consumeRemainingAsString();
        try {
            if (disk) {
                VmRequest.DiskRequest d = REQUESTS.parse(body, VmRequest.DiskRequest.class);
                VmConfigs.attach(List.of(), d);
            } else {
                VmRequest r = REQUESTS.parse(body, VmRequest.class);
                VmConfig created = VmConfigs.create(r, UUID.randomUUID(), NOW);
                assertThat(created.name()).isNotBlank();
                VmConfigs.update(created, r, NOW);
            }
        } catch (ServiceException e) {
            assertThat(e.status()).as(e.getMessage()).isEqualTo(400);
        } catch (InvalidConfigException declared) {
            // 400 with the field's name
        }
    }

    @FuzzTest
    void switchBodies(FuzzedDataProvider data) {
        String body = data.consumeRemainingAsString();
        try {
            SwitchRequest r = REQUESTS.parse(body, SwitchRequest.class);
            SwitchConfig created = SwitchConfigs.create(r, NOW);
            assertThat(created.spec().name()).isEqualTo(created.name());
            SwitchConfigs.update(created, r, NOW).spec();
        } catch (ServiceException e) {
            assertThat(e.status()).as(e.getMessage()).isEqualTo(400);
        } catch (InvalidConfigException declared) {
            // 400 with the field's name
        }
    }
}
