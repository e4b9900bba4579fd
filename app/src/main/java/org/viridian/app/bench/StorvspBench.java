package org.viridian.app.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.viridian.devices.storvsp.StorVsp;
import org.viridian.machine.Diagnostics;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.partition.PartitionExit;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * `viridian bench storvsp`: synthetic-SCSI I/O from a CPL3 guest loop (bench-storvsp: one request in flight, each a
 * GPA-direct packet and a CPL3 hypercall, completions polled) on a VHDX, against the same requests (same offsets, same
 * sizes, one at a time) done by the host directly on the same image with the virtual-disk library, in one run.
 * The ratio is the share of the disk's host speed a guest gets through StorVSP.
 */
@Command(
        name = "storvsp",
        mixinStandardHelpOptions = true,
        description = "StorVSP IOPS and MB/s from CPL3 (4 KiB random, 1 MiB sequential) vs the host on the same image.")
final class StorvspBench implements Callable<Integer> {
    private static final int SPAN_MIB = 64;

    @Option(
            names = "--count",
            defaultValue = "2000",
            description = "4 KiB requests per run; 1 MiB runs do a tenth (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--dir", description = "Where the benchmark image goes (default: the temporary directory).")
    Path dir;

    private record Workload(String name, int blockSize, boolean random, boolean write, int requests) {}

    @Override
    public Integer call() throws Exception {
        if (count < 10) throw new IllegalArgumentException("--count must be at least 10");
        BenchCommand.requireKvm();
        Path where = Files.createTempDirectory(
                dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir")), "viridian-bench");
        Path image = where.resolve("bench.vhdx");
        try (BenchGuests guests = BenchGuests.extract("bench-storvsp.elf")) {
            Images.create(image, new CreateOptions(ImageFormat.VHDX, ImageType.DYNAMIC, 2L * SPAN_MIB << 20, 0, null));
            fill(image); // reads then hit allocated blocks, as they would on a used disk
            System.out.printf(
                    "StorVSP from CPL3 vs the host on the same VHDX (%d MiB span, one request in flight)%n", SPAN_MIB);
            for (Workload w : List.of(
                    new Workload("4 KiB random read", 4096, true, false, count),
                    new Workload("4 KiB random write", 4096, true, true, count),
                    new Workload("1 MiB sequential read", 1 << 20, false, false, Math.max(10, count / 10)),
                    new Workload("1 MiB sequential write", 1 << 20, false, true, Math.max(10, count / 10)))) {
                double guest = guestRate(guests.path("bench-storvsp.elf"), image, w);
                double host = hostRate(image, w);
                System.out.printf(
                        "  %-24s guest %9.0f IOPS %8.1f MB/s | host %9.0f IOPS %8.1f MB/s | ratio %.3f%n",
                        w.name(), guest, guest * w.blockSize() / 1e6, host, host * w.blockSize() / 1e6, guest / host);
            }
            return 0;
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(where);
        }
    }

    private static void fill(Path image) throws Exception {
        try (DiskImage d = Images.open(image, false)) {
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < chunk.length; i++) chunk[i] = (byte) (i * 31);
            for (long at = 0; at < (long) SPAN_MIB << 20; at += chunk.length) d.write(ByteBuffer.wrap(chunk), at);
            d.flush();
        }
    }

    private double guestRate(Path guest, Path image, Workload w) throws Exception {
        String cmdline = "n=" + w.requests() + " bs=" + w.blockSize() + " random=" + (w.random() ? 1 : 0) + " write="
                + (w.write() ? 1 : 0) + " span=" + SPAN_MIB;
        try (VirtualMachine vm =
                VmbusBench.benchVm(guest, cmdline, List.of(new VmSpec.Disk(image, false)), Diagnostics.NONE)) {
            vm.start();
            PartitionExit exit = vm.exit().join();
            StorVsp.Stats s = vm.storage().orElseThrow().stats();
            if (exit.exitStatus() != 33 || s.requests() != w.requests()) {
                throw new IllegalStateException("bench-storvsp ended " + exit + " after " + s.requests() + " requests");
            }
            return (s.requests() - 1) / (s.nanos() / 1e9);
        }
    }

    /** The guest's request sequence (the same generator and offsets), done by the host on the image, best of two. */
    private static double hostRate(Path image, Workload w) throws Exception {
        double best = 0;
        try (DiskImage d = Images.open(image, false)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(w.blockSize());
            int blocks = w.blockSize() / 512, spanBlocks = SPAN_MIB * 2048;
            for (int round = 0; round < 2; round++) {
                int x = 12345;
                long lba = 0, t0 = System.nanoTime();
                for (int i = 0; i < w.requests(); i++) {
                    if (w.random()) {
                        x = x * 1103515245 + 12345;
                        lba = Integer.toUnsignedLong(x >>> 4) % (spanBlocks / blocks) * blocks;
                    }
                    buf.clear();
                    if (w.write()) d.write(buf, lba * 512);
                    else d.read(buf, lba * 512);
                    if (!w.random()) lba = (lba + blocks) % spanBlocks;
                }
                best = Math.max(best, w.requests() / ((System.nanoTime() - t0) / 1e9));
            }
        }
        return best;
    }
}
