package org.viridian.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.IntegrationService;
import picocli.CommandLine;

/** `viridian run`'s integration-service and diagnostic options, parsed as picocli parses them. */
class RunCommandOptionsTest {
    private static RunCommand parse(String... args) {
        RunCommand c = new RunCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void everyServiceByDefaultAListOrAllBarThoseWithheld() {
        RunCommand all = parse("--kernel", "k");
        assertThat(RunCommand.integrationServices(all.integrationServices, all.noIc))
                .containsExactlyInAnyOrder(IntegrationService.values());
        RunCommand some = parse("--kernel", "k", "--integration-services", "heartbeat,time-sync");
        assertThat(RunCommand.integrationServices(some.integrationServices, some.noIc))
                .containsExactlyInAnyOrder(IntegrationService.HEARTBEAT, IntegrationService.TIME_SYNC);
        RunCommand less = parse("--kernel", "k", "--no-ic", "kvp", "--no-ic", "shutdown");
        assertThat(RunCommand.integrationServices(less.integrationServices, less.noIc))
                .containsExactlyInAnyOrder(IntegrationService.HEARTBEAT, IntegrationService.TIME_SYNC);
        RunCommand none = parse("--kernel", "k", "--integration-services", "");
        assertThat(RunCommand.integrationServices(none.integrationServices, none.noIc))
                .isEmpty();
        assertThatThrownBy(() -> RunCommand.integrationServices(List.of("bogus"), List.of()))
                .hasMessageContaining("unknown integration service 'bogus'");
    }

    @Test
    void theHyperVTestDeviceIsOffUnlessAskedFor() {
        assertThat(parse("--kernel", "k").diagnostics()).isEqualTo(Diagnostics.NONE);
        assertThat(parse("--kernel", "k", "--hv-testdev").diagnostics()).isEqualTo(Diagnostics.NONE.withHvTestDevice());
        assertThat(Diagnostics.NONE.withHvTestDevice().hvTestDevice()).isTrue();
    }
}
