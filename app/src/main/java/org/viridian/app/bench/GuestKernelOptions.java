package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The stock guest kernel a benchmark boots and its module tree: the running kernel's unless named. */
final class GuestKernelOptions {
    @Option(names = "--kernel", description = "Guest kernel (default: /boot/vmlinuz-RELEASE of the running kernel).")
    Path kernel;

    @Option(
            names = "--modules",
            description = "The kernel's module tree (default: /lib/modules/RELEASE/kernel of the running kernel).")
    Path modules;

    BenchKernel resolve() throws IOException {
        return BenchKernel.resolve(kernel, modules);
    }
}
