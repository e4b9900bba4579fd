package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.management.config.Sizes;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.ops.Converter;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = "Copy any readable image (vhd, vhdx, raw, qcow2, vmdk; differencing chains flattened) into a new "
                + "VHD, VHDX or raw file. Sparse-aware.")
final class VhdConvert implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SRC")
    Path src;

    @Parameters(index = "1", paramLabel = "DST", description = "Must not exist.")
    Path dst;

    @Option(
            names = {"-f", "--src-format"},
            description = "Source format (default: detected from the content).")
    String srcFormat;

    @Option(
            names = {"-O", "--format"},
            description = "Target format: vhd, vhdx or raw (default: from DST's extension).")
    String format;

    @Option(
            names = {"-t", "--type"},
            description = "fixed or dynamic (default: dynamic for vhd/vhdx, fixed for raw).")
    String type;

    @Option(
            names = "--block-size",
            converter = ByteSize.class,
            description = "Target block size (default: the format's).")
    long blockSize;

    @Option(
            names = {"-p", "--progress"},
            description = "Show progress on stderr.")
    boolean progress;

    @Override
    public Integer call() throws Exception {
        ImageFormat f = Images.formatFor(dst, format);
        ImageType t = type != null ? ImageType.parse(type) : f == ImageFormat.RAW ? ImageType.FIXED : ImageType.DYNAMIC;
        if (t == ImageType.DIFFERENCING)
            throw new IllegalArgumentException("convert writes standalone images: --type fixed or dynamic");
        long start = System.nanoTime();
        OpenOptions o = new OpenOptions(true, false, 0, (p, opts) -> Images.open(p, null, opts));
        try (DiskImage s = Images.open(src, srcFormat == null ? null : ImageFormat.parse(srcFormat), o)) {
            long written = Converter.convert(
                    s, dst, new CreateOptions(f, t, s.size(), blockSize, null), new ProgressMeter(progress));
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "converted %s (%s, %s) to %s (%s %s): %s of data written in %.2f s%n",
                    src,
                    s.format().displayName(),
                    Sizes.human(s.size()),
                    dst,
                    f.displayName(),
                    t.displayName(),
                    Sizes.human(written),
                    secs);
        }
        return 0;
    }
}
