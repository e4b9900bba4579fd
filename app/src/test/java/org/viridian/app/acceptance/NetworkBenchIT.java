package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.bench.NetGuest;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/**
 * Acceptance (mvn -P acceptance verify): `viridian bench netvsp --seconds 5` runs in the nested KVM host with QEMU
 * there (as BootLoopStressIT has it), the guest kernel and its network drivers, and prints a row per test with a
 * figure for each of veth, QEMU virtio-net and Viridian NetVSP. The figures are what the nested host gives; whether
 * NetVSP reaches QEMU is the bench's own output, not asserted here.
 */
@Tag("acceptance")
class NetworkBenchIT {
    private static final Pattern ROW = Pattern.compile(
            "^\\s+((?:guest->host|VM->VM) (?:TCP|UDP 64 B) (?:Mbit/s|pkt/s))\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+\\S+\\s+\\S+$",
            Pattern.MULTILINE);

    @Test
    void benchNetvspPrintsVethQemuAndNetvspFiguresForEveryTest() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        Map<String, Path> host = new LinkedHashMap<>(NestedNetwork.files());
        Map<String, Path> iperf = NestedKvmHost.dynamicProgram("iperf3", "iperf3", "usr/bin/iperf3");
        assumeTrue(!iperf.isEmpty(), "iperf3 (Debian package iperf3) is missing");
        host.putAll(iperf);
        host.putAll(NestedKvmHost.qemuKvm());
        Path tree = DebianKernel.modules();
        KernelModules modules = new KernelModules(tree);
        // The baseline's veth pair; loaded after the switch modules (setup loads mod/net/ in name order).
        for (Path ko : modules.closure(List.of("veth"))) host.put("mod/net/90-" + ko.getFileName(), ko);
        // The guest's drivers, where the bench looks for them: a module tree of their own.
        for (Path ko : modules.closure(NetGuest.MODULES)) host.put("opt/files/modules/" + tree.relativize(ko), ko);
        // -Dnetbench.args="--diagnose" for a quicker look at NetVSP alone (then the table's assertions fail).
        // -Dnetbench.java="-Dviridian.vmbus.maskSignals=true": JVM options for the bench's own process.
        String java = System.getProperty("netbench.java", "");
        String bench = (java.isEmpty() ? "" : "env JAVA_TOOL_OPTIONS='" + java + "' ") + "viridian bench netvsp "
                + System.getProperty("netbench.args", "--seconds 5")
                + " --kernel vmlinuz --modules modules";
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel()),
                host,
                List.of(new NestedKvmHost.Command("bench", NestedNetwork.setup() + " " + bench)),
                Duration.ofMinutes(40));
        NestedKvmHost.Outcome out = run.get("bench");
        System.out.println("nested host: " + bench + "\n" + out.output());
        assertThat(out.rc()).as(out.output()).isZero();
        Matcher m = ROW.matcher(out.output());
        Map<String, List<Double>> rows = new LinkedHashMap<>();
        while (m.find()) {
            assertThat(m.group(3)).as("QEMU column of " + m.group(1)).isNotEqualTo("n/a");
            rows.put(
                    m.group(1),
                    List.of(
                            Double.parseDouble(m.group(2)),
                            Double.parseDouble(m.group(3)),
                            Double.parseDouble(m.group(4))));
        }
        assertThat(rows.keySet())
                .as(out.output())
                .containsExactly(
                        "guest->host TCP Mbit/s",
                        "guest->host UDP 64 B pkt/s",
                        "VM->VM TCP Mbit/s",
                        "VM->VM UDP 64 B pkt/s");
        for (var r : rows.entrySet())
            assertThat(r.getValue()).as(r.getKey() + ": veth, QEMU, Viridian").allMatch(v -> v > 0);
    }
}
