package org.viridian.app.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.testkit.ExternalTool;

/**
 * The parts of `viridian bench peers` that need no KVM, against real things: reports of this host's fio (the jobs'
 * own command lines, direct I/O on a file) passed through a guest console as the guest prints them, the table built
 * from them, and the guest initramfs from Debian's kernel, this host's fio and static busybox.
 */
class PeersBenchTest {
    @TempDir
    Path dir;

    @Test
    void aConsoleWithRealFioReportsGivesBootTimeFiguresAndCpuPerIoForEveryRow() throws Exception {
        Path fio = ExternalTool.require("fio", "fio");
        // O_DIRECT needs a file system that has it: the build directory's, not a tmpfs.
        Path file = Files.createTempFile(Files.createDirectories(Path.of("target")), "peers-fio", ".img");
        try {
            Files.write(file, new byte[8 << 20]);
            ConsoleLines console = new ConsoleLines(PeersGuest.MARKER);
            console.engineProcess(ProcessHandle.current().pid());
            console.write("[    0.5] kernel noise\r\n".getBytes(StandardCharsets.UTF_8));
            console.write((PeersGuest.INIT_LINE + "\r\n").getBytes(StandardCharsets.UTF_8));
            console.write((PeersGuest.UPTIME + "1.25\r\n").getBytes(StandardCharsets.UTF_8));
            for (FioJob j : FioJob.SHORT) {
                console.write((PeersGuest.BEGIN + j.name() + "\n").getBytes(StandardCharsets.UTF_8));
                List<String> cmd = new ArrayList<>(List.of(fio.toString()));
                cmd.addAll(j.arguments(file.toString(), 1));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor()).as(json).isZero();
                // What the guest's `tr -d '\n\t'` makes of it.
                String line = PeersGuest.REPORT + j.name() + " "
                        + json.replace("\n", "").replace("\t", "");
                console.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            PeersBench.EngineResult r =
                    PeersBench.parse(new DiskEngine.Run(console.lines(), console.text(), "test"), FioJob.SHORT);
            assertThat(r.bootSeconds()).isPositive();
            assertThat(r.kernelSeconds()).isEqualTo(1.25);
            for (FioJob j : FioJob.SHORT) {
                FioJob.Figures f = r.jobs().get(j.name());
                assertThat(f.iops()).as(j.name()).isPositive();
                assertThat(f.ios()).as(j.name()).isPositive();
                assertThat(f.bytesPerSecond())
                        .as(j.name())
                        .isEqualTo(f.iops() * 4096, org.assertj.core.data.Offset.offset(f.iops() * 4096 * 0.01));
                assertThat(f.p50Micros()).as(j.name()).isPositive().isLessThanOrEqualTo(f.p99Micros());
                // fio ran as a child, not in this process: the CPU sampled is this JVM's, small and finite.
                assertThat(r.cpuMicrosPerIo().get(j.name()))
                        .as(j.name())
                        .isNotNaN()
                        .isNotNegative();
            }
            List<PeersBench.Row> rows = PeersBench.rows(FioJob.SHORT, List.of(r, r));
            String table = PeersBench.table(List.of("Viridian StorVSP", "QEMU virtio-blk"), rows);
            assertThat(rows)
                    .extracting(PeersBench.Row::test)
                    .containsExactly(
                            "boot to /init",
                            "boot: the kernel's uptime at /init",
                            "4 KiB random read QD1",
                            "4 KiB random read QD1 p50",
                            "4 KiB random read QD1 p99",
                            "4 KiB random read QD1 host CPU",
                            "4 KiB random read QD32",
                            "4 KiB random read QD32 p50",
                            "4 KiB random read QD32 p99",
                            "4 KiB random read QD32 host CPU");
            // The same engine twice: every ratio is 1.
            assertThat(table).containsPattern("4 KiB random read QD32 IOPS +\\d+\\.\\d +\\d+\\.\\d +1\\.00 +higher");
            assertThat(table).containsPattern("boot to /init s +\\S+ +\\S+ +1\\.00 +lower");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aJobTheGuestReportsFailedFailsTheRunWithItsError() {
        ConsoleLines console = new ConsoleLines(PeersGuest.MARKER);
        byte[] text = (PeersGuest.INIT_LINE + "\n" + PeersGuest.FAILED + "randread1 fio: bad device\n")
                .getBytes(StandardCharsets.UTF_8);
        console.write(text, 0, text.length);
        assertThatThrownBy(() ->
                        PeersBench.parse(new DiskEngine.Run(console.lines(), console.text(), "test"), FioJob.SHORT))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bad device");
        ConsoleLines noInit = new ConsoleLines(PeersGuest.MARKER);
        assertThatThrownBy(() -> PeersBench.parse(new DiskEngine.Run(noInit.lines(), "", "killed"), FioJob.SHORT))
                .hasMessageContaining("never printed");
    }

    @Test
    void theGuestHoldsFioWithItsLibrariesBothDiskDriversAndTheJobs() throws Exception {
        Path fio = ExternalTool.require("fio", "fio");
        Path busybox = ExternalTool.require("busybox", "busybox-static");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PeersGuest.write(out, busybox, fio, DebianKernel.modules(), FioJob.FULL, 7, 3);
        Map<String, byte[]> files = new HashMap<>();
        try (CpioArchiveInputStream cpio = new CpioArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; )
                if (e.isRegularFile()) files.put(e.getName(), cpio.readAllBytes());
        }
        assertThat(files).containsKeys("init", "bin/busybox", "bin/fio", "lib64/ld-linux-x86-64.so.2");
        assertThat(files.keySet()).anyMatch(f -> f.endsWith("libaio.so.1"));
        // StorVSP's disk needs hv_storvsc and sd_mod; QEMU's virtio_blk (whether modules or built in).
        assertThat(files.keySet().stream().filter(f -> f.startsWith("lib/modules/")))
                .anyMatch(f -> f.contains("hv_storvsc"))
                .anyMatch(f -> f.contains("sd_mod"))
                .anyMatch(f -> f.contains("virtio_blk"));
        String init = new String(files.get("init"), StandardCharsets.UTF_8);
        assertThat(init).startsWith("#!/bin/busybox sh\n/bin/busybox echo " + PeersGuest.INIT_LINE + "\n");
        assertThat(init).contains("echo \"" + PeersGuest.UPTIME + "$(cut -d' ' -f1 /proc/uptime)\"\n");
        for (FioJob j : FioJob.FULL)
            assertThat(init).contains("job " + j.name() + " --name=" + j.name() + " --filename=$dev --rw=" + j.rw());
        // The warm-up first, unmeasured (no job line, its report discarded).
        assertThat(init.indexOf("/bin/fio --name=warmup --filename=$dev --rw=randrw"))
                .isPositive()
                .isLessThan(init.indexOf("job randread1 "));
        assertThat(init).contains("--runtime=3 --eta=never --output-format=terse >/dev/null 2>&1\n");
        assertThat(init).contains("--runtime=7").contains("--iodepth=32").contains("--direct=1");
    }

    @Test
    void theGuestsCountersFromThisHostsProcGiveItsCpuSplitAndInterruptsPerIo() throws Exception {
        Path busybox = ExternalTool.require("busybox", "busybox-static");
        // The guest's own shell function, run by busybox on this host's /proc around a second of work.
        Process p = new ProcessBuilder(
                        busybox.toString(),
                        "sh",
                        "-c",
                        PeersGuest.COUNTERS
                                + "\ncounters j1 before; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done;"
                                + " counters j1 after")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        ConsoleLines console = new ConsoleLines(PeersGuest.MARKER);
        console.write(out.getBytes(StandardCharsets.UTF_8));
        List<String> lines = GuestCounters.describe(console.lines(), Map.of("j1", new FioJob.Figures(1, 1, 1, 1, 100)));
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst())
                .as(out)
                .startsWith("j1: guest CPU ")
                .contains("user ")
                .containsPattern("\\d+ us of busy guest CPU per I/O; interrupts per I/O: \\S+ \\d+\\.\\d\\d");
    }
}
