package org.viridian.management.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.viridian.machine.boot.Initramfs;
import org.viridian.machine.boot.KernelModules;

/**
 * The demo VM's small real Linux, assembled on first use from two Debian packages: the kernel that
 * linux-image-cloud-amd64 depends on and busybox-static, fetched with {@code apt-get download} and unpacked with
 * {@code dpkg-deb -x} (the packages, not this host's /boot, so the demo is the same on every Debian-family host and
 * needs nothing installed). The result, under {@code <state>/images/linux-demo/}, is the kernel and an initramfs with
 * busybox, the Hyper-V drivers Viridian's machine needs and an init that gives a root shell on the serial console and
 * on the screen. Kept there; assembled again only when missing.
 */
public final class LinuxDemo {
    /** The meta package whose versioned kernel the demo boots: Debian's kernel for VMs, with every hv_* driver. */
    static final String KERNEL_PACKAGE = "linux-image-cloud-amd64";

    static final String BUSYBOX_PACKAGE = "busybox-static";

    /**
     * VMBus and its utilities (shutdown, time sync), the SCSI disk (hv_storvsc with sd_mod, which makes /dev/sda), the
     * network adapter, and the graphical console: synthetic video, keyboard and mouse, with evdev so that their events
     * are readable at /dev/input/event* (the cloud kernel builds evdev as a module).
     */
    public static final List<String> DRIVERS = List.of(
            "hv_vmbus",
            "hv_utils",
            "hv_storvsc",
            "sd_mod",
            "hv_netvsc",
            "hyperv_fb",
            "hyperv_keyboard",
            "hid_hyperv",
            "evdev");

    /** What the guest prints on the serial console once its shells are about to start. */
    public static final String READY = "viridian-demo: ready";

    /** tty1 (the synthetic framebuffer) and ttyS0 both show the kernel; ttyS0, named last, is /dev/console. */
    public static final String CMDLINE = "console=tty1 console=ttyS0 quiet panic=-1";

    static final String KERNEL_FILE = "vmlinuz", INITRD_FILE = "initrd.gz", SOURCE_FILE = "source.txt";

    /**
     * What this assembler makes, kept in {@code source.txt}'s last line: raised whenever the initramfs changes, so
     * that an older assembly counts as missing and is made again (the demo VM's paths stay the same).
     */
    public static final String ASSEMBLY = "assembly 3";

    private static final Pattern KERNEL_DEPENDENCY =
            Pattern.compile("^\\s*Depends:\\s*(linux-image-\\S+)", Pattern.MULTILINE);

    /** The assembled demo: files to boot and where they came from (the kernel's version, the packages' files). */
    public record Assets(Path kernel, Path initrd, String cmdline, String source) {}

    private LinuxDemo() {}

    /** Where a state directory keeps the demo's assembled files. */
    public static Path dir(Path stateDir) {
        return stateDir.resolve("images").resolve("linux-demo");
    }

    /** The assets if this state directory has them already (nothing is fetched). */
    public static Optional<Assets> cached(Path stateDir) throws IOException {
        Path dir = dir(stateDir);
        Path kernel = dir.resolve(KERNEL_FILE), initrd = dir.resolve(INITRD_FILE), source = dir.resolve(SOURCE_FILE);
        if (!Files.isRegularFile(kernel) || !Files.isRegularFile(initrd) || !Files.isRegularFile(source))
            return Optional.empty();
        List<String> lines = Files.readAllLines(source);
        if (lines.size() != 2 || !lines.get(1).equals(ASSEMBLY)) return Optional.empty();
        return Optional.of(new Assets(kernel, initrd, CMDLINE, lines.getFirst()));
    }

    /**
     * The assets, assembled first where missing; {@code progress} hears what takes time. Throws with the reason (no
     * apt-get, a package that cannot be downloaded, an unexpected package layout) where they cannot be had.
     */
    public static synchronized Assets ensure(Path stateDir, Consumer<String> progress) throws IOException {
        Optional<Assets> have = cached(stateDir);
        if (have.isPresent()) return have.get();
        Path dir = dir(stateDir);
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, "assembling-");
        try {
            return assemble(dir, work, progress);
        } finally {
            deleteTree(work);
        }
    }

    private static Assets assemble(Path dir, Path work, Consumer<String> progress) throws IOException {
        for (String tool : List.of("apt-get", "apt-cache", "dpkg-deb"))
            if (!onPath(tool))
                throw new IOException(
                        tool + " is not available: the Linux demo is assembled from Debian packages (a Debian or "
                                + "Ubuntu host)");
        String kernelPackage = kernelPackage(run(work, "apt-cache", "depends", KERNEL_PACKAGE));
        progress.accept("downloading " + kernelPackage + " and " + BUSYBOX_PACKAGE);
        run(work, "apt-get", "download", "-q", kernelPackage, BUSYBOX_PACKAGE);
        Path root = work.resolve("root");
        List<String> debs = new ArrayList<>();
        try (Stream<Path> s = Files.list(work)) {
            for (Path deb :
                    s.filter(p -> p.toString().endsWith(".deb")).sorted().toList()) {
                run(work, "dpkg-deb", "-x", deb.toString(), root.toString());
                debs.add(deb.getFileName().toString());
            }
        }
        progress.accept("assembling the initramfs from " + String.join(", ", debs));
        Path kernel = findKernel(root);
        String version = kernel.getFileName().toString().substring("vmlinuz-".length());
        Path modules = Stream.of("lib/modules/", "usr/lib/modules/")
                .map(m -> root.resolve(m + version).resolve("kernel"))
                .filter(Files::isDirectory)
                .findFirst()
                .orElseThrow(() -> new IOException(kernelPackage + " has no modules for " + version));
        Path busybox = Stream.of("bin/busybox", "usr/bin/busybox")
                .map(root::resolve)
                .filter(Files::isRegularFile)
                .findFirst()
                .orElseThrow(() -> new IOException(BUSYBOX_PACKAGE + " has no bin/busybox"));
        byte[] initrd = initramfs(busybox, new KernelModules(modules), version).gzipped();
        // Each file lands whole or not at all: a half-written kernel must never count as cached.
        Path tmp = work.resolve("out");
        Files.createDirectories(tmp);
        Files.copy(kernel, tmp.resolve(KERNEL_FILE));
        Files.write(tmp.resolve(INITRD_FILE), initrd);
        Files.writeString(
                tmp.resolve(SOURCE_FILE),
                "Linux " + version + " from " + String.join(", ", debs) + "\n" + ASSEMBLY + "\n");
        // source.txt gone first and back last: in between, the files do not count as cached.
        Files.deleteIfExists(dir.resolve(SOURCE_FILE));
        for (String f : List.of(KERNEL_FILE, INITRD_FILE, SOURCE_FILE))
            Files.move(tmp.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        return cached(dir.getParent().getParent()).orElseThrow();
    }

    /** "linux-image-6.1.0-50-cloud-amd64" from {@code apt-cache depends linux-image-cloud-amd64}. */
    static String kernelPackage(String aptCacheDepends) throws IOException {
        Matcher m = KERNEL_DEPENDENCY.matcher(aptCacheDepends);
        if (!m.find())
            throw new IOException("apt-cache cannot resolve " + KERNEL_PACKAGE + " (run apt-get update?): "
                    + aptCacheDepends.strip());
        return m.group(1);
    }

    private static Path findKernel(Path root) throws IOException {
        Path boot = root.resolve("boot");
        if (Files.isDirectory(boot)) {
            try (Stream<Path> s = Files.list(boot)) {
                Optional<Path> k = s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                        .min(Comparator.naturalOrder());
                if (k.isPresent()) return k.get();
            }
        }
        throw new IOException("the kernel package has no /boot/vmlinuz-*");
    }

    /** The demo's root file system: busybox, the drivers with what they depend on, and the scripts that start it. */
    static Initramfs initramfs(Path busybox, KernelModules modules, String version) throws IOException {
        Initramfs fs = Initramfs.busybox(busybox, DemoInit.INIT);
        List<String> names = new ArrayList<>();
        for (Path ko : modules.closure(DRIVERS)) {
            String name = KernelModules.fileName(ko);
            fs.file("lib/modules/" + name, KernelModules.read(ko), false);
            names.add(name);
        }
        for (var f : DemoInit.files(names, version).entrySet())
            fs.file(
                    f.getKey(),
                    f.getValue().text().getBytes(StandardCharsets.UTF_8),
                    f.getValue().exec());
        return fs;
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String d : path.split(":")) if (Files.isExecutable(Path.of(d.isEmpty() ? "." : d, tool))) return true;
        return false;
    }

    /** Runs a tool in {@code dir}; its output, or an exception with the output as the reason. */
    private static String run(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0)
                throw new IOException(
                        String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + tail(out.strip()));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        return out;
    }

    private static String tail(String s) {
        return s.length() <= 600 ? s : "…" + s.substring(s.length() - 600);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
