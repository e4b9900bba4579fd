package org.viridian.management.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.machine.boot.ElfImage;
import org.viridian.machine.boot.KernelModules;

/**
 * The Linux demo assembled for real from Debian's packages (apt-get download; skipped with the reason where this host
 * has no apt or no package source): the kernel, and an initramfs with a static busybox, every Hyper-V driver the demo
 * needs with each of its dependencies loaded before it, and the scripts that start the shells.
 */
class LinuxDemoTest {
    private static Path state;
    private static LinuxDemo.Assets assets;
    private static Map<String, byte[]> initramfs;
    private static long assembleMs;

    @BeforeAll
    static void assemble() throws Exception {
        state = Files.createTempDirectory("viridian-demo-state");
        long t0 = System.nanoTime();
        try {
            assets = LinuxDemo.ensure(state, step -> System.out.println("linux demo: " + step));
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage());
            assumeTrue(
                    !(why.contains("is not available")
                            || why.contains("apt-cache cannot resolve")
                            || why.startsWith("apt-get download")),
                    "no Debian packages here: " + why);
            throw e;
        }
        assembleMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf(
                "linux demo assembled in %d ms: %s; kernel %d bytes, initrd %d bytes%n",
                assembleMs, assets.source(), Files.size(assets.kernel()), Files.size(assets.initrd()));
        initramfs = unpack(Files.readAllBytes(assets.initrd()));
    }

    @Test
    void theKernelIsABzImageAndTheWorkFilesAreGone() throws IOException {
        byte[] k = Files.readAllBytes(assets.kernel());
        assertThat(new String(k, 0x202, 4, StandardCharsets.ISO_8859_1)).isEqualTo("HdrS");
        assertThat(assets.kernel().getParent()).isEqualTo(LinuxDemo.dir(state));
        assertThat(assets.source()).startsWith("Linux ").contains("cloud-amd64").contains("busybox-static");
        try (var files = Files.list(LinuxDemo.dir(state))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("vmlinuz", "initrd.gz", "source.txt");
        }
    }

    @Test
    void theInitramfsHoldsAStaticBusyboxAndTheScriptsThatStartTheShells() throws IOException {
        assertThat(ElfImage.parse(initramfs.get("bin/busybox")).interpreter()).isEmpty();
        assertThat(text("init")).contains("exec /bin/init");
        assertThat(text("etc/inittab"))
                .contains("::sysinit:/etc/rc")
                .contains("ttyS0::respawn:-/bin/sh")
                .contains("tty1::respawn:-/bin/sh");
        assertThat(text("etc/rc"))
                .contains("mount -t ext4 /dev/sda /home")
                .contains("mke2fs -L home /dev/sda >/dev/null")
                .contains("udhcpc -f -i eth0 -s /etc/udhcpc.script")
                .contains(LinuxDemo.READY);
        assertThat(text("etc/motd")).contains("Viridian demo: Debian's Linux 6.");
    }

    /** modules.dep's question, answered from each module's own .modinfo: is everything it needs loaded before it? */
    @Test
    void everyDriverIsThereWithItsDependenciesLoadedFirst() throws IOException {
        List<String> order = insmodOrder(text("etc/rc"));
        assertThat(order).isNotEmpty();
        for (String ko : order) assertThat(initramfs).containsKey("lib/modules/" + ko);
        List<String> names =
                order.stream().map(f -> f.substring(0, f.length() - 3)).toList();
        // Each is a module in Debian's cloud kernel (none built in), so each must be there.
        assertThat(names).containsAll(LinuxDemo.DRIVERS);
        for (int i = 0; i < names.size(); i++) {
            for (String dep : KernelModules.depends(initramfs.get("lib/modules/" + order.get(i)))) {
                assertThat(names.subList(0, i))
                        .as("%s needs %s loaded before it", names.get(i), dep)
                        .contains(dep.replace('-', '_'));
            }
        }
        // Each unpacked module is an ELF relocatable object (busybox insmod takes no compressed ones).
        for (String ko : order)
            assertThat(new String(initramfs.get("lib/modules/" + ko), 1, 3, StandardCharsets.ISO_8859_1))
                    .isEqualTo("ELF");
    }

    @Test
    void aSecondUseTakesTheCachedFilesAndAMissingOneIsAssembledAgain() throws IOException {
        long before = Files.getLastModifiedTime(assets.initrd()).toMillis();
        assertThat(LinuxDemo.ensure(state, step -> {
                    throw new AssertionError("nothing to assemble, yet: " + step);
                }))
                .isEqualTo(assets);
        assertThat(Files.getLastModifiedTime(assets.initrd()).toMillis()).isEqualTo(before);
        Path source = assets.kernel().resolveSibling("source.txt");
        String text = Files.readString(source);
        Files.writeString(source, text.replace(LinuxDemo.ASSEMBLY, "assembly 1"));
        assertThat(LinuxDemo.cached(state))
                .as("an older assembly counts as missing")
                .isEmpty();
        Files.writeString(source, text);
        assertThat(LinuxDemo.cached(state)).contains(assets);
        Files.delete(assets.initrd());
        assertThat(LinuxDemo.cached(state)).isEmpty();
        List<String> steps = new ArrayList<>();
        assertThat(LinuxDemo.ensure(state, steps::add)).isEqualTo(assets);
        assertThat(steps).anyMatch(s -> s.startsWith("downloading linux-image-"));
        assertThat(unpack(Files.readAllBytes(assets.initrd())).keySet()).isEqualTo(initramfs.keySet());
    }

    @Test
    void theKernelPackageIsWhatTheMetaPackageDependsOn() throws IOException {
        assertThat(LinuxDemo.kernelPackage("linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-50-cloud-amd64\n"))
                .isEqualTo("linux-image-6.1.0-50-cloud-amd64");
        assertThatThrownBy(() -> LinuxDemo.kernelPackage("E: No packages found"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("apt-cache cannot resolve linux-image-cloud-amd64");
    }

    private static List<String> insmodOrder(String rc) {
        Matcher m = Pattern.compile("for m in ([^;]*); do insmod").matcher(rc);
        assertThat(m.find()).as(rc).isTrue();
        return List.of(m.group(1).trim().split(" "));
    }

    private static String text(String path) {
        assertThat(initramfs).containsKey(path);
        return new String(initramfs.get(path), StandardCharsets.UTF_8);
    }

    private static Map<String, byte[]> unpack(byte[] gz) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (CpioArchiveInputStream cpio =
                new CpioArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(gz)))) {
            for (CpioArchiveEntry e; (e = cpio.getNextEntry()) != null; )
                if (e.isRegularFile()) files.put(e.getName(), cpio.readAllBytes());
        }
        return files;
    }
}
