package org.viridian.guests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host-side raw KVM baseline: where /dev/kvm is absent it must say so and exit 2. */
class KvmPioLoopTest {
    @TempDir
    Path dir;

    private Process run(String... args) throws Exception {
        Path tool = TestGuests.extract(TestGuests.KVM_PIO_LOOP, dir);
        Path guest = TestGuests.extract(TestGuests.BENCH_PIO, dir);
        var cmd = new java.util.ArrayList<>(java.util.List.of(tool.toString()));
        for (String a : args) {
            cmd.add(a.equals("GUEST") ? guest.toString() : a);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("kvm-pio-loop finished").isTrue();
        return p;
    }

    @Test
    void exitsTwoWithoutDevKvm() throws Exception {
        assumeFalse(Files.exists(Path.of("/dev/kvm")), "/dev/kvm exists here: the no-KVM path cannot be tested");
        Process p = run("GUEST", "1000");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(2);
        assertThat(out).contains("/dev/kvm");
    }

    @Test
    void usageErrorWithoutArguments() throws Exception {
        Process p = run();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isEqualTo(64);
        assertThat(out).contains("usage: kvm-pio-loop");
    }
}
