package org.viridian.machine.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs host tools (gcc, objcopy) for tests that build real guest images; skips the test where they are missing. */
final class Gcc {
    private Gcc() {}

    static void run(Path dir, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(command));
        Process p;
        try {
            p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            Assumptions.abort(command[0] + " is not available: " + e.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
        if (p.exitValue() != 0) {
            Assumptions.assumeFalse(
                    out.contains("gnu/stubs-32.h") || out.contains("cannot find -lgcc"),
                    "no 32-bit gcc support: " + out);
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
    }

    /** Compiles a freestanding 32-bit C file with a linker script and returns the ELF bytes. */
    static byte[] elf32(Path dir, String source, String linkerScript) throws IOException, InterruptedException {
        Files.writeString(dir.resolve("kernel.c"), source);
        Files.writeString(dir.resolve("kernel.ld"), linkerScript);
        run(
                dir,
                "gcc",
                "-m32",
                "-ffreestanding",
                "-nostdlib",
                "-fno-pic",
                "-no-pie",
                "-fno-asynchronous-unwind-tables",
                "-O1",
                "-Wl,--build-id=none",
                "-Wl,-T,kernel.ld",
                "-o",
                "kernel.elf",
                "kernel.c");
        return Files.readAllBytes(dir.resolve("kernel.elf"));
    }
}
