package org.viridian.machine.acpi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.viridian.testkit.ExternalTool;

/**
 * ACPICA's iasl as an independent checker. Installs Debian's acpica-tools when it is missing and we are root with
 * apt-get; otherwise the calling test is skipped with the reason.
 */
final class Iasl {
    record Result(int exitCode, String output) {}

    private Iasl() {}

    static void ensureInstalled() {
        ExternalTool.require("iasl", "acpica-tools");
    }

    /** Disassembles {@code file} (a binary table) and returns iasl's console output plus the .dsl text. */
    static Result disassemble(Path file) throws IOException, InterruptedException {
        Result r =
                run(file.getParent(), List.of("iasl", "-d", file.getFileName().toString()));
        Path dsl = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.dat$", ".dsl"));
        String text = Files.exists(dsl) ? Files.readString(dsl) : "";
        return new Result(r.exitCode(), r.output() + "\n----- " + dsl.getFileName() + " -----\n" + text);
    }

    /** Compiles ASL source back to AML; iasl returns non-zero on errors. */
    static Result compile(Path dsl) throws IOException, InterruptedException {
        return run(
                dsl.getParent(),
                List.of("iasl", "-p", "recompiled", dsl.getFileName().toString()));
    }

    static Result run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        return new Result(p.exitValue(), out);
    }
}
