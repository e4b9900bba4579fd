package org.viridian.app.nested;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** The project's test guests, and QEMU's own Multiboot loader as the reference for them. */
final class Guests {
    record QemuRun(String console, int exitStatus) {}

    private Guests() {}

    /** A test guest built by the guests module, from the classpath. */
    static byte[] builtIn(String name) throws IOException {
        try (var in = Guests.class.getResourceAsStream("/guests/" + name)) {
            if (in == null) throw new IOException("test guest /guests/" + name + " is not on the classpath");
            return in.readAllBytes();
        }
    }

    static QemuRun underQemu(byte[] elf, String cmdline, int cpus) throws IOException, InterruptedException {
        Path f = Files.createTempFile("guest", ".elf");
        Files.write(f, elf);
        try {
            Process p = new ProcessBuilder(List.of(
                            "qemu-system-x86_64",
                            "-accel",
                            "tcg",
                            "-M",
                            "q35",
                            "-m",
                            "64",
                            "-display",
                            "none",
                            "-monitor",
                            "none",
                            "-serial",
                            "stdio",
                            "-no-reboot",
                            "-device",
                            "isa-debug-exit,iobase=0xf4,iosize=0x04",
                            "-smp",
                            Integer.toString(cpus),
                            "-kernel",
                            f.toString(),
                            "-append",
                            cmdline))
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                Assumptions.abort("qemu did not finish the reference run");
            }
            return new QemuRun(new String(p.getInputStream().readAllBytes()), p.exitValue());
        } finally {
            Files.delete(f);
        }
    }
}
