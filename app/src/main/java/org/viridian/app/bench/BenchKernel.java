package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The stock guest kernel of the Linux benchmarks and its module tree: what the options name, else the running
 * kernel's own (/boot/vmlinuz-RELEASE, /lib/modules/RELEASE/kernel), so a host benchmarks its own distribution's
 * kernel.
 */
record BenchKernel(Path kernel, Path modules) {
    static BenchKernel resolve(Path kernel, Path modules) throws IOException {
        String release = release();
        Path k = kernel(kernel);
        Path mods = modules != null ? modules : Path.of("/lib/modules", release, "kernel");
        if (!Files.isDirectory(mods))
            throw new IllegalArgumentException("no module tree " + mods + " (give --modules)");
        return new BenchKernel(k, mods);
    }

    /** The kernel alone, for a guest that loads no modules. */
    static Path kernel(Path kernel) throws IOException {
        Path k = kernel != null ? kernel : Path.of("/boot/vmlinuz-" + release());
        if (!Files.isRegularFile(k)) throw new IllegalArgumentException("no guest kernel " + k + " (give --kernel)");
        return k;
    }

    private static String release() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
    }
}
