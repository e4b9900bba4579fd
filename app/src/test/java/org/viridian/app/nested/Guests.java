package org.viridian.app.nested;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small Multiboot guests assembled with gcc, and QEMU's own Multiboot loader as the reference for them. */
final class Guests {
    record QemuRun(String console, int exitStatus) {}

    private Guests() {}

    /** Assembles {@code source} (AT&T syntax, 32-bit) into a Multiboot ELF whose single segment starts at 1 MiB. */
    static byte[] assemble(String source) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("guest");
        Path src = dir.resolve("g.S"), elf = dir.resolve("g.elf");
        Files.writeString(src, source);
        Process p = new ProcessBuilder("gcc", "-m32", "-nostdlib", "-static", "-Wl,-N", "-Wl,-Ttext=0x100000",
                "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-o", elf.toString(), src.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException("gcc failed:\n" + out);
        byte[] image = Files.readAllBytes(elf);
        Files.delete(src);
        Files.delete(elf);
        Files.delete(dir);
        return image;
    }

    static QemuRun underQemu(byte[] elf, String cmdline) throws IOException, InterruptedException {
        Path f = Files.createTempFile("guest", ".elf");
        Files.write(f, elf);
        try {
            Process p = new ProcessBuilder(List.of("qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "64",
                    "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", f.toString(), "-append", cmdline))
                    .redirectErrorStream(true).start();
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
