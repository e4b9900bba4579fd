package org.viridian.machine.acpi;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ACPICA's iasl as an independent checker. Installs Debian's acpica-tools when it is missing and we are root with
 * apt-get; otherwise the calling test is skipped with the reason.
 */
final class Iasl {
    record Result(int exitCode, String output) {
    }

    private static volatile boolean ready;

    private Iasl() {
    }

    static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (ready) return;
        if (run(Path.of("."), List.of("sh", "-c", "command -v iasl")).exitCode() != 0) {
            boolean root = "root".equals(System.getProperty("user.name"));
            Assumptions.assumeTrue(root, "iasl missing and not root: cannot install acpica-tools");
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-get")), "iasl missing and no apt-get");
            Result r = run(Path.of("."), List.of("sh", "-c",
                    "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq acpica-tools || "
                            + "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq acpica-tools)"));
            Assumptions.assumeTrue(r.exitCode() == 0, "apt-get install acpica-tools failed: " + r.output());
        }
        ready = true;
    }

    /** Disassembles {@code file} (a binary table) and returns iasl's console output plus the .dsl text. */
    static Result disassemble(Path file) throws IOException, InterruptedException {
        Result r = run(file.getParent(), List.of("iasl", "-d", file.getFileName().toString()));
        Path dsl = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.dat$", ".dsl"));
        String text = Files.exists(dsl) ? Files.readString(dsl) : "";
        return new Result(r.exitCode(), r.output() + "\n----- " + dsl.getFileName() + " -----\n" + text);
    }

    /** Compiles ASL source back to AML; iasl returns non-zero on errors. */
    static Result compile(Path dsl) throws IOException, InterruptedException {
        return run(dsl.getParent(), List.of("iasl", "-p", "recompiled", dsl.getFileName().toString()));
    }

    static Result run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        return new Result(p.exitValue(), out);
    }
}
