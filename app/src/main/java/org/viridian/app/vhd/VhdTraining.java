package org.viridian.app.vhd;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.viridian.machine.boot.HostProgram;

/**
 * The training run of the disk tools' ahead-of-time cache: the launcher runs it once per build with
 * -XX:AOTCacheOutput, and every later `viridian vhd` command starts from the classes it loaded and linked (JEP 483),
 * which was most of a short conversion's start. It converts a small sparse image of every readable format (qcow2 and
 * VMDK when qemu-img is there to write them) to VHD and VHDX through the same code as `vhd convert`.
 */
public final class VhdTraining {
    private VhdTraining() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        try {
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            convertAll(Files.createTempDirectory("viridian-vhd-training"));
        } finally {
            System.setOut(out);
        }
    }

    /**
     * The conversions, in {@code dir} (made here, removed at the end): also the disk tools' server's warm-up, which
     * runs them once so that its first user conversions of each format run compiled code. They print through
     * System.out.
     */
    static void convertAll(Path dir) throws Exception {
        try {
            Path raw = sparseRaw(dir.resolve("t.img"));
            List<Path> sources = new ArrayList<>(List.of(raw));
            if (HostProgram.find("qemu-img").isPresent()) {
                for (String f : List.of("qcow2", "vmdk")) {
                    Path p = dir.resolve("t." + f);
                    Process q = new ProcessBuilder(
                                    "qemu-img", "convert", "-f", "raw", "-O", f, raw.toString(), p.toString())
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start();
                    if (q.waitFor(60, TimeUnit.SECONDS) && q.exitValue() == 0) sources.add(p);
                }
            }
            sources.add(convert(raw, dir.resolve("t.vhd")));
            sources.add(convert(raw, dir.resolve("t.vhdx")));
            int n = 0;
            for (Path src : sources) {
                for (String to : List.of("vhd", "vhdx")) convert(src, dir.resolve("o" + n++ + "." + to));
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Path convert(Path src, Path dst) throws IOException {
        if (VhdMain.execute(new String[] {"convert", src.toString(), dst.toString()}) != 0)
            throw new IOException("training conversion of " + src + " failed");
        return dst;
    }

    /** 24.5 MiB: runs of random data (one starting with a zero page), a zero granule inside data, holes, odd end. */
    private static Path sparseRaw(Path p) throws IOException {
        Random r = new Random(1);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1 << 20);
            for (long at : new long[] {0, 3 << 20, 9 << 20, (9 << 20) + (1 << 20), 20 << 20}) {
                r.nextBytes(b.array());
                if (at == 3 << 20) java.util.Arrays.fill(b.array(), 0, 4096, (byte) 0);
                java.util.Arrays.fill(b.array(), 128 << 10, 192 << 10, (byte) 0);
                ch.write(b.clear(), at);
            }
            ch.write(ByteBuffer.wrap(new byte[] {7}), (49L << 19) - 1);
        }
        return p;
    }
}
