package org.viridian.machine.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.viridian.testkit.ExternalTool;

/** Host programs for an initramfs: a dynamic one brings its loader and libraries, a static one comes alone. */
class HostProgramTest {
    @Test
    void aDynamicProgramComesWithItsLoaderAndLibrariesAtTheirPaths() throws Exception {
        Path iperf3 = ExternalTool.require("iperf3", "iperf3");
        String loader = HostProgram.interpreter(iperf3).orElseThrow();
        Map<String, Path> files = HostProgram.withLibraries(iperf3, "bin/iperf3");
        assertThat(files.get("bin/iperf3")).isEqualTo(iperf3.toRealPath());
        assertThat(files).containsKey(loader.substring(1));
        assertThat(files.keySet()).anyMatch(f -> f.endsWith("/libc.so.6")).anyMatch(f -> f.contains("libiperf.so"));
    }

    @Test
    void aStaticProgramNeedsNothingElse() throws Exception {
        Path busybox = ExternalTool.require("busybox", "busybox-static");
        assertThat(HostProgram.interpreter(busybox)).isEmpty();
        assertThat(HostProgram.withLibraries(busybox, "bin/busybox")).containsOnlyKeys("bin/busybox");
    }

    @Test
    void findLooksOnThePathOrTakesAPathAsGiven() {
        Path iperf3 = ExternalTool.require("iperf3", "iperf3");
        assertThat(HostProgram.find("iperf3")).contains(iperf3);
        assertThat(HostProgram.find(iperf3.toString())).contains(iperf3);
        assertThat(HostProgram.find("no-such-program-here")).isEmpty();
        assertThat(HostProgram.find("/no/such/program")).isEmpty();
    }
}
