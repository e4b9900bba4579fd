package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.Json;

/** A quick migration's handoff: kept in ZooKeeper as JSON, and refused unless it names this VM's own state file. */
class HandoffTest {
    private final UUID vm = UUID.randomUUID();

    private Handoff.Quick quick(UUID of, String file, long size, String crc) {
        return new Handoff.Quick("A", Instant.parse("2026-12-07T01:00:00Z"), of, 7, file, size, crc);
    }

    @Test
    void aHandoffSurvivesItsRecordInTheEngine() throws Exception {
        var mapper = Json.mapper();
        Handoff q = quick(vm, vm + "-e7-1f.vmrs", 4096, "0a1b2c3d");
        Handoff c = new Handoff.Cold("B", Instant.EPOCH, "it could not be saved (netvsp)");
        assertThat(mapper.readValue(mapper.writeValueAsBytes(q), Handoff.class)).isEqualTo(q);
        assertThat(mapper.readValue(mapper.writeValueAsBytes(c), Handoff.class)).isEqualTo(c);
        assertThat(mapper.writeValueAsString(q)).contains("\"how\":\"quick\"");
    }

    @Test
    void onlyThisVmsStateFileOfThisMoveIsAccepted() {
        quick(vm, vm + "-e7-1f.vmrs", 4096, "0a1b2c3d").requireFor(vm);
        assertThatThrownBy(() -> quick(UUID.randomUUID(), vm + "-e7-1f.vmrs", 4096, "0a1b2c3d")
                        .requireFor(vm))
                .hasMessageContaining("not of " + vm);
        for (String bad : new String[] {"../../etc/passwd", vm + "-e6-1f.vmrs", vm + "-e7-1f.vmrs/../x", null})
            assertThatThrownBy(() -> quick(vm, bad, 4096, "0a1b2c3d").requireFor(vm))
                    .as(String.valueOf(bad))
                    .hasMessageContaining("names no state file");
        assertThatThrownBy(() -> quick(vm, vm + "-e7-1f.vmrs", 0, "0a1b2c3d").requireFor(vm))
                .hasMessageContaining("no size or checksum");
    }
}
