package org.viridian.app.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.testkit.ExternalTool;
import org.viridian.vswitch.SwitchHost;

/**
 * The parts of `viridian bench netvsp` that need no KVM, against real things: iperf3's own JSON (on loopback, passed
 * through the guest's one-line form), the veth baseline on this host (as root), and the guest initramfs built from
 * Debian's kernel, this host's iperf3 and static busybox.
 */
class NetvspBenchTest {
    @Test
    void aGuestsConsoleReportsGiveTheReceiversTcpRateAndPacketRate() throws Exception {
        Path iperf3 = ExternalTool.require("iperf3", "iperf3");
        Process server = new ProcessBuilder(iperf3.toString(), "-s", "-B", "127.0.0.1", "-p", "5299")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectErrorStream(true)
                .start();
        try {
            String console = "[    1.0] noise\nNETBENCH tcp " + oneLine(client(iperf3, Iperf3.tcp(1)))
                    + "\nmore noise\r\nNETBENCH udp " + oneLine(client(iperf3, Iperf3.udp(1))) + "\n";
            Iperf3.Figures f = Iperf3.fromConsole(console);
            assertThat(f.tcpBitsPerSecond()).isGreaterThan(1e6);
            assertThat(f.udpPacketsPerSecond()).isGreaterThan(100);
        } finally {
            server.destroyForcibly().waitFor();
        }
        assertThatThrownBy(() -> Iperf3.fromConsole("NETBENCH-FAILED tcp {}\n[viridian: crashed]"))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Iperf3.tcpBitsPerSecond("{\"error\": \"unable to connect to server\"}"))
                .hasMessageContaining("unable to connect");
    }

    @Test
    void theVethBaselineMeasuresBothTestsBetweenTwoNamespaces() throws Exception {
        assumeTrue(SwitchHost.unavailable().isEmpty(), () -> SwitchHost.unavailable()
                .get());
        Path iperf3 = ExternalTool.require("iperf3", "iperf3");
        Iperf3.Figures f = VethBaseline.measure(iperf3.toString(), 1);
        assertThat(f.tcpBitsPerSecond()).isGreaterThan(1e6);
        assertThat(f.udpPacketsPerSecond()).isGreaterThan(100);
    }

    @Test
    void theGuestHoldsBothNicDriversInLoadOrderAndIperf3WithItsLibraries() throws Exception {
        Path busybox = ExternalTool.require("busybox", "busybox-static");
        Path iperf3 = ExternalTool.require("iperf3", "iperf3");
        Map<String, byte[]> files = unpack(NetGuest.initramfs(busybox, iperf3, DebianKernel.modules(), 7));
        assertThat(files).containsKeys("init", "bin/busybox", "bin/iperf3");
        assertThat(files.keySet()).anyMatch(f -> f.contains("libiperf.so"));
        for (String m : NetGuest.MODULES) assertThat(files).containsKey("lib/modules/" + m + ".ko");
        String init = new String(files.get("init"), StandardCharsets.UTF_8);
        assertThat(init.indexOf("hv_vmbus.ko")).isLessThan(init.indexOf("hv_netvsc.ko"));
        assertThat(init.indexOf("virtio_pci.ko")).isPositive().isLessThan(init.indexOf("virtio_net.ko"));
        assertThat(init).contains("-u -l 64 -b 0 -t 7 -J");
        assertThat(NetGuest.cmdline("10.1.0.2/24", "10.1.0.1")).endsWith("nb.role=client nb.peer=10.1.0.1");
    }

    private static String client(Path iperf3, List<String> args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(iperf3.toString(), "-c", "127.0.0.1", "-p", "5299"));
        argv.addAll(args);
        for (int attempt = 0; ; attempt++) {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() == 0 || attempt == 20) return out;
            Thread.sleep(200);
        }
    }

    /** What the guest's `tr -d '\n\t'` makes of the report. */
    private static String oneLine(String json) {
        return json.replace("\n", "").replace("\t", "");
    }

    private static Map<String, byte[]> unpack(byte[] gz) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (CpioArchiveInputStream cpio =
                new CpioArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)))) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; )
                if (e.isRegularFile()) files.put(e.getName(), cpio.readAllBytes());
        }
        return files;
    }
}
