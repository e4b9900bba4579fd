package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
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
                + "VHD, VHDX or raw file. Sparse-aware; reads and writes in parallel.")
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

    @Option(
            names = "--sync",
            description = "Return only once the new file is on the disk (fsync). By default, as qemu-img convert, the "
                    + "data may still be in the page cache; either way the file appears under DST only when complete.")
    boolean sync;

    /**
     * Where relative SRC and DST are (null: this process's directory): the disk tools' server serves clients in other
     * directories. Messages keep the paths as the user wrote them.
     */
    Path base;

    /**
     * The options of a plain convert command line (SRC DST and the options above as {@code -x V}, {@code --name V} or
     * {@code --name=V}, each at most once) read without picocli, whose model building was most of a short conversion's
     * start; null for anything else (help, version, unknown, repeated or clustered options, a bad value, an @file),
     * which picocli then handles with its usual messages. VhdCommandTest checks that both read lines alike.
     */
    static VhdConvert parseSimple(String[] args) {
        VhdConvert c = new VhdConvert();
        List<String> positional = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        boolean optionsEnded = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.startsWith("@")) return null;
                if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                    positional.add(a);
                    continue;
                }
                if (a.equals("--")) {
                    optionsEnded = true;
                    continue;
                }
                int eq = a.startsWith("--") ? a.indexOf('=') : -1;
                String name = eq > 0 ? a.substring(0, eq) : a, value = eq > 0 ? a.substring(eq + 1) : null;
                String key =
                        switch (name) {
                            case "-p", "--progress" -> "progress";
                            case "--sync" -> "sync";
                            case "-f", "--src-format" -> "src-format";
                            case "-O", "--format" -> "format";
                            case "-t", "--type" -> "type";
                            case "--block-size" -> "block-size";
                            default -> null;
                        };
                if (key == null || !seen.add(key)) return null;
                if (key.equals("progress") || key.equals("sync")) {
                    if (value != null) return null;
                    if (key.equals("progress")) c.progress = true;
                    else c.sync = true;
                    continue;
                }
                if (value == null) {
                    if (++i >= args.length || args[i].startsWith("-")) return null;
                    value = args[i];
                }
                switch (key) {
                    case "src-format" -> c.srcFormat = value;
                    case "format" -> c.format = value;
                    case "type" -> c.type = value;
                    default -> c.blockSize = ByteSize.parse(value);
                }
            }
            if (positional.size() != 2) return null;
            c.src = Path.of(positional.get(0));
            c.dst = Path.of(positional.get(1));
            return c;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public Integer call() throws Exception {
        ImageFormat f = Images.formatFor(dst, format);
        ImageType t = type != null ? ImageType.parse(type) : f == ImageFormat.RAW ? ImageType.FIXED : ImageType.DYNAMIC;
        if (t == ImageType.DIFFERENCING) throw new IllegalArgumentException(Messages.get("error.convertType"));
        long start = System.nanoTime();
        OpenOptions o = new OpenOptions(true, false, 0, (p, opts) -> Images.open(p, null, opts));
        Path from = base == null ? src : base.resolve(src), to = base == null ? dst : base.resolve(dst);
        try (DiskImage s = Images.open(from, srcFormat == null ? null : ImageFormat.parse(srcFormat), o)) {
            long written = Converter.convert(
                    s, to, new CreateOptions(f, t, s.size(), blockSize, null), new ProgressMeter(progress), sync);
            double secs = (System.nanoTime() - start) / 1e9;
            // Messages' plain replacement, not printf: java.util.Formatter's set-up was a visible part of a short
            // conversion.
            System.out.println(Messages.get(
                    "vhd.converted",
                    src,
                    s.format().displayName() + ", " + Sizes.human(s.size()),
                    dst,
                    f.displayName() + " " + VhdText.type(t),
                    Sizes.human(written),
                    Sizes.decimal(secs, 2)));
        }
        return 0;
    }
}
