package org.viridian.guests;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.viridian.testkit.ExternalTool;

/**
 * Boots a test guest under qemu-system-x86_64 with TCG, the independent reference for the guest ABI: q35, 64 MiB,
 * isa-debug-exit at 0xF4, COM1 to a file, no reboot (a triple fault ends QEMU).
 */
final class Qemu {
    static final String BINARY = "qemu-system-x86_64";

    /** What a boot produced. {@code serial} is COM1's output with CRs dropped; {@code log} QEMU's -d cpu_reset log. */
    record Result(int status, boolean timedOut, String serial, String stderr, String log) {
        List<String> lines() {
            return serial.lines().toList();
        }

        boolean tripleFaulted() {
            return log.contains("Triple fault");
        }

        @Override
        public String toString() {
            return "status " + status + (timedOut ? " (timed out)" : "") + "\n--- serial ---\n" + serial
                    + "--- stderr ---\n" + stderr;
        }
    }

    /** Skips the calling test (with the reason) when QEMU is missing and cannot be installed. */
    static void assumeAvailable() {
        ExternalTool.require(BINARY, "qemu-system-x86");
    }

    /** Boots {@code guest} with the given kernel command line and CPU count. */
    static Result boot(String guest, String append, int cpus, Duration timeout)
            throws IOException, InterruptedException {
        assumeAvailable();
        Path dir = Files.createTempDirectory("viridian-qemu-");
        try {
            Path kernel = TestGuests.extract(guest, dir);
            Path serial = dir.resolve("serial.txt"), log = dir.resolve("qemu.log"), err = dir.resolve("stderr.txt");
            List<String> cmd = new ArrayList<>(List.of(
                    BINARY,
                    "-M",
                    "q35",
                    "-accel",
                    "tcg",
                    "-m",
                    "64",
                    "-smp",
                    Integer.toString(cpus),
                    "-kernel",
                    kernel.toString(),
                    "-device",
                    "isa-debug-exit,iobase=0xf4,iosize=0x04",
                    "-serial",
                    "file:" + serial,
                    "-display",
                    "none",
                    "-monitor",
                    "none",
                    "-no-reboot",
                    "-d",
                    "cpu_reset",
                    "-D",
                    log.toString()));
            if (append != null) {
                cmd.addAll(List.of("-append", append));
            }
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(err.toFile())
                    .redirectErrorStream(true)
                    .start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            return new Result(done ? p.exitValue() : -1, !done, read(serial).replace("\r", ""), read(err), read(log));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
    }

    private Qemu() {}
}
