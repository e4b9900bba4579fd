package org.viridian.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The one way tests use a program of the host (qemu, qemu-img, iasl, busybox, chromium, ...): find it on the PATH,
 * else install its Debian package when running as root with apt-get, else skip the calling test with the reason.
 * A test never fails because the host lacks a tool; it says what was missing.
 */
public final class ExternalTool {
    /** Per Debian package: empty when usable, else why not (so a failed install is tried once per JVM). */
    private static final Map<String, String> INSTALLED = new ConcurrentHashMap<>();

    private ExternalTool() {}

    /** The path of {@code command}, installing {@code debianPackage} if needed; skips the test when it cannot. */
    public static Path require(String command, String debianPackage) {
        Path p = which(command);
        if (p != null) return p;
        requirePackage(debianPackage, command);
        p = which(command);
        Assumptions.assumeTrue(p != null, "installing " + debianPackage + " did not provide " + command);
        return p;
    }

    /**
     * Makes sure {@code debianPackage} is installed (e.g. one that provides files rather than a command), checking
     * with {@code dpkg -s}; skips the test with the reason when it is missing and cannot be installed.
     */
    public static void requirePackage(String debianPackage) {
        if (sh("dpkg -s " + debianPackage + " >/dev/null 2>&1").exit() == 0) return;
        requirePackage(debianPackage, debianPackage);
    }

    /** The command's path when it is on the PATH, else null (nothing is installed). */
    public static Path which(String command) {
        Result r = sh("command -v " + command);
        String out = r.output().trim();
        return r.exit() == 0 && !out.isEmpty() ? Path.of(out) : null;
    }

    private static void requirePackage(String debianPackage, String what) {
        String why = INSTALLED.computeIfAbsent(debianPackage, ExternalTool::install);
        Assumptions.assumeTrue(why.isEmpty(), what + " is missing: " + why);
    }

    private static String install(String pkg) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not root, so Debian package " + pkg + " cannot be installed (apt-get install " + pkg + ")";
        }
        if (!Files.isExecutable(Path.of("/usr/bin/apt-get"))) return "no apt-get to install Debian package " + pkg;
        // A cached package list is tried first: apt-get update needs the network and takes a while.
        String install = "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends " + pkg;
        Result r = sh(install + " || (apt-get update -qq && " + install + ")");
        return r.exit() == 0
                ? ""
                : "apt-get install " + pkg + " failed: " + r.output().strip();
    }

    /** The exit status and the merged output of a shell command. */
    public record Result(int exit, String output) {}

    /** Runs {@code command} with sh -c (10 minutes at most); never throws for the command's own failure. */
    public static Result sh(String command) {
        try {
            Process p = new ProcessBuilder("sh", "-c", command)
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Result(124, out + "\n(timed out)");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }
}
