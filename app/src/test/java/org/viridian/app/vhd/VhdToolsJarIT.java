package org.viridian.app.vhd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk tools' jar (target/viridian-vhd.jar), which the launcher puts before the full jar for `viridian vhd`: on its
 * own it must run a plain conversion of every format and the usual vhd commands, in English and German; anything it
 * lacks would silently send the JVM to the full jar, whose opening it exists to avoid.
 */
class VhdToolsJarIT {
    @TempDir
    Path dir;

    private static final Path TOOLS = Path.of("target/viridian-vhd.jar");

    private record Run(int rc, String out) {}

    private Run vhd(String language, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                TOOLS.toString(),
                "org.viridian.app.vhd.VhdMain"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("LC_ALL");
        pb.environment().remove("LC_MESSAGES");
        pb.environment().put("LANG", language);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void runsTheDiskToolsWithoutTheFullJar() throws Exception {
        assumeTrue(Files.exists(TOOLS), "target/viridian-vhd.jar not built (run through mvn verify)");
        Path raw = dir.resolve("in.img");
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] data = new byte[1 << 20];
            new Random(1).nextBytes(data);
            ch.write(ByteBuffer.wrap(data), 3 << 20);
            ch.truncate(16 << 20);
            ch.write(ByteBuffer.wrap(new byte[] {1}), (16 << 20) - 1);
        }
        for (String to : List.of("vhd", "vhdx")) {
            Run c = vhd("C", "convert", raw.toString(), dir.resolve("a." + to).toString());
            assertThat(c.rc()).as(c.out()).isZero();
            assertThat(c.out()).startsWith("converted ").contains("1 MiB of data written");
            Run back = vhd(
                    "de_DE.UTF-8",
                    "convert",
                    dir.resolve("a." + to).toString(),
                    dir.resolve(to + ".img").toString());
            assertThat(back.rc()).as(back.out()).isZero();
            assertThat(back.out()).contains("konvertiert");
            assertThat(Files.mismatch(raw, dir.resolve(to + ".img"))).isEqualTo(-1L);
        }
        Run info = vhd("C", "info", dir.resolve("a.vhdx").toString());
        assertThat(info.rc()).as(info.out()).isZero();
        assertThat(info.out()).contains("vhdx");
        Run check = vhd("C", "check", dir.resolve("a.vhd").toString());
        assertThat(check.rc()).as(check.out()).isZero();
        Run create = vhd("C", "create", dir.resolve("new.vhdx").toString(), "--size", "64M");
        assertThat(create.rc()).as(create.out()).isZero();
        Run bad = vhd(
                "C",
                "convert",
                dir.resolve("missing.img").toString(),
                dir.resolve("x.vhdx").toString());
        assertThat(bad.rc()).isOne();
        assertThat(bad.out()).startsWith("viridian: ");
    }
}
