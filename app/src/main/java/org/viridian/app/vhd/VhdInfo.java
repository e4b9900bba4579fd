package org.viridian.app.vhd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.management.config.Sizes;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.ops.Images;
import org.viridian.storage.ops.InfoJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Show an image's format, sizes, parent and format details.")
final class VhdInfo implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Option(
            names = {"-f", "--format"},
            description = "Read as this format instead of detecting it.")
    String format;

    @Override
    public Integer call() throws Exception {
        ImageFormat f = format == null ? null : ImageFormat.parse(format);
        String parentProblem = null;
        DiskImage opened;
        try {
            opened = Images.open(file, f, new OpenOptions(true, false, 0, (p, opts) -> Images.open(p, null, opts)));
        } catch (IOException e) {
            // A missing or changed parent does not stop us describing the file itself.
            opened = Images.open(file, f, new OpenOptions(true, false, 0, null));
            parentProblem = e.getMessage();
        }
        try (DiskImage d = opened) {
            ImageInfo i = d.info();
            if (json) {
                System.out.println(InfoJson.toJson(i));
                return 0;
            }
            System.out.printf("file:           %s%n", i.file());
            System.out.printf(
                    "format:         %s (%s)%n",
                    i.format().displayName(), i.type().displayName());
            System.out.printf("virtual size:   %s (%d bytes)%n", Sizes.human(i.virtualSize()), i.virtualSize());
            System.out.printf("file size:      %s%n", Sizes.human(i.fileSize()));
            System.out.printf("allocated:      %s%n", Sizes.human(i.allocatedBytes()));
            if (i.blockSize() > 0) System.out.printf("block size:     %s%n", Sizes.human(i.blockSize()));
            if (i.parent() != null) System.out.printf("parent:         %s%n", i.parent());
            if (parentProblem != null) System.out.printf("parent:         cannot be opened: %s%n", parentProblem);
            i.details().forEach((k, v) -> System.out.printf("  %-20s %s%n", k + ":", v));
            return 0;
        }
    }
}
