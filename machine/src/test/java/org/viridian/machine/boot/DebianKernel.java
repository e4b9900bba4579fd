package org.viridian.machine.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Debian cloud kernel for loader tests: the versioned package linux-image-cloud-amd64 depends on is downloaded
 * once with apt-get into ~/.cache/viridian/kernel and unpacked with dpkg-deb. Tests skip with the reason where apt or
 * the network is unavailable.
 */
public final class DebianKernel {
    private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "viridian", "kernel");
    private static Path vmlinuz;

    private DebianKernel() {}

    public static synchronized Path vmlinuz() throws IOException, InterruptedException {
        if (vmlinuz != null) return vmlinuz;
        Files.createDirectories(CACHE);
        Path extracted = CACHE.resolve("x");
        Path found = find(extracted);
        if (found == null) {
            Path deb = findDeb();
            if (deb == null) {
                String dep = sh("apt-cache depends linux-image-cloud-amd64 | sed -n 's/.*Depends: "
                                + "\\(linux-image-[0-9].*\\)/\\1/p' | head -1")
                        .trim();
                Assumptions.assumeTrue(
                        dep.startsWith("linux-image-"), "apt-cache cannot resolve linux-image-cloud-amd64: " + dep);
                sh("cd '" + CACHE + "' && apt-get download " + dep);
                deb = findDeb();
                Assumptions.assumeTrue(deb != null, "apt-get download " + dep + " produced no .deb");
            }
            sh("dpkg-deb -x '" + deb + "' '" + extracted + "'");
            found = find(extracted);
            Assumptions.assumeTrue(found != null, "no /boot/vmlinuz-* in " + deb);
        }
        return vmlinuz = found;
    }

    /** The kernel's module tree (…/lib/modules/VERSION/kernel), unpacked with the image. */
    public static Path modules() throws IOException, InterruptedException {
        Path boot = vmlinuz().getParent();
        String version = vmlinuz().getFileName().toString().substring("vmlinuz-".length());
        return boot.resolveSibling("lib").resolve("modules").resolve(version).resolve("kernel");
    }

    private static Path findDeb() throws IOException {
        try (Stream<Path> s = Files.list(CACHE)) {
            return s.filter(p -> p.getFileName().toString().matches("linux-image-.*-cloud-amd64.*\\.deb"))
                    .findFirst()
                    .orElse(null);
        }
    }

    private static Path find(Path extracted) throws IOException {
        Path boot = extracted.resolve("boot");
        if (!Files.isDirectory(boot)) return null;
        try (Stream<Path> s = Files.list(boot)) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .findFirst()
                    .orElse(null);
        }
    }

    private static String sh(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("sh", "-c", command))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(600, TimeUnit.SECONDS)) p.destroyForcibly();
        Assumptions.assumeTrue(p.exitValue() == 0, "`" + command + "` failed: " + out);
        return out;
    }
}
