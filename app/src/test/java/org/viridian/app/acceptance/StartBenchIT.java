package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Acceptance (mvn -P acceptance verify): `viridian bench start` in the nested KVM host: VM start latency and memory
 * overhead per VM, Viridian's workers (and as they were before their start-up cache and memory options) vs QEMU/KVM, the stock kernel. Every
 * figure must be there and plausible (a start under 10 minutes, a guest that touched RAM, an overhead above zero) and
 * the workers' cache must have been made; how Viridian compares is the bench's output, printed here, not asserted.
 * -Dstart.args adds or overrides options (e.g. "--rounds 5").
 */
@Tag("acceptance")
class StartBenchIT {
    private static final String JSON_MARK = "@@@START-JSON";

    @Test
    void benchStartPrintsStartLatencyAndMemoryOverheadForViridianAndQemu() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        String bench = "viridian bench start --kernel vmlinuz --json start.json --baseline "
                + System.getProperty("start.args", "") + " && echo " + JSON_MARK + " && cat start.json";
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel()),
                NestedKvmHost.qemuKvm(),
                List.of(new NestedKvmHost.Command("start", bench)),
                Duration.ofMinutes(50));
        NestedKvmHost.Outcome out = run.get("start");
        System.out.println("nested host: " + bench + "\n" + out.output());
        assertThat(out.rc()).as(out.output()).isZero();
        assertThat(out.output()).contains("cache made");
        String text = out.output();
        JsonNode json = new ObjectMapper().readTree(text.substring(text.indexOf(JSON_MARK) + JSON_MARK.length()));
        assertThat(json.path("engines")).hasSize(3);
        for (JsonNode row : json.path("rows")) {
            for (JsonNode v : row.path("values")) {
                assertThat(v.isNumber()).as(row.toString()).isTrue();
                assertThat(v.asDouble()).as(row.toString()).isPositive();
                if (row.path("unit").asText().equals("s"))
                    assertThat(v.asDouble()).isLessThan(600);
            }
        }
    }
}
