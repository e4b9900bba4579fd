package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
import org.viridian.management.config.Sizes;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "create", mixinStandardHelpOptions = true, description = "Create a VHD, VHDX or raw image.")
final class VhdCreate implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The new image (.vhd, .vhdx, .img/.raw).")
    Path file;

    @Option(
            names = {"-s", "--size"},
            converter = ByteSize.class,
            description = "Virtual size, e.g. 20G (not for differencing: the parent's).")
    Long size;

    @Option(
            names = {"-t", "--type"},
            description = "fixed, dynamic or differencing (default: dynamic, or differencing with --parent).")
    String type;

    @Option(
            names = {"-p", "--parent"},
            description = "Parent image of a differencing disk.")
    Path parent;

    @Option(
            names = "--block-size",
            converter = ByteSize.class,
            description = "Block size (VHD default 2M, VHDX default 32M).")
    long blockSize;

    @Option(
            names = {"-O", "--format"},
            description = "vhd, vhdx or raw (default: from the extension).")
    String format;

    @Override
    public Integer call() throws Exception {
        ImageType t =
                type != null ? ImageType.parse(type) : parent != null ? ImageType.DIFFERENCING : ImageType.DYNAMIC;
        ImageFormat f = Images.formatFor(file, format);
        if (f == ImageFormat.RAW && t == ImageType.DYNAMIC && type == null) t = ImageType.FIXED;
        if (t == ImageType.DIFFERENCING && size != null)
            throw new IllegalArgumentException(Messages.get("error.differencingSize"));
        if (t != ImageType.DIFFERENCING && size == null)
            throw new IllegalArgumentException(Messages.get("error.sizeRequired"));
        Images.create(file, new CreateOptions(f, t, size == null ? 0 : size, blockSize, parent));
        try (DiskImage d = Images.open(file, true)) {
            String created = Messages.get("vhd.created", file, f.displayName(), VhdText.type(t), Sizes.human(d.size()));
            System.out.println(parent == null ? created : Messages.get("vhd.withParent", created, parent));
        }
        return 0;
    }
}
