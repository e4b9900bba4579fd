package org.viridian.app.vhd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
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

    private static String[] line(String key, Object value) {
        return new String[] {Messages.get("vhd.info." + key) + ":", String.valueOf(value)};
    }

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
            List<String[]> lines = new ArrayList<>();
            lines.add(line("file", i.file()));
            lines.add(line("format", i.format().displayName() + " (" + VhdText.type(i.type()) + ")"));
            lines.add(
                    line("virtualSize", Messages.get("vhd.info.bytes", Sizes.human(i.virtualSize()), i.virtualSize())));
            lines.add(line("fileSize", Sizes.human(i.fileSize())));
            lines.add(line("allocated", Sizes.human(i.allocatedBytes())));
            if (i.blockSize() > 0) lines.add(line("blockSize", Sizes.human(i.blockSize())));
            if (i.parent() != null) lines.add(line("parent", i.parent()));
            if (parentProblem != null)
                lines.add(line("parent", Messages.get("vhd.info.parentUnopenable", parentProblem)));
            // The labels line up in the language's widest one (16 columns at least, as the English always had).
            int w = Math.max(
                    16,
                    lines.stream().mapToInt(l -> Messages.width(l[0]) + 2).max().orElse(0));
            StringBuilder b = new StringBuilder();
            for (String[] l : lines)
                b.append(Messages.pad(l[0], w)).append(l[1]).append('\n');
            // The format's own fields keep their specification's names (MS-VHDX, the VHD footer).
            i.details().forEach((k, v) -> b.append("  ")
                    .append(Messages.pad(k + ":", 21))
                    .append(v)
                    .append('\n'));
            System.out.print(b);
            return 0;
        }
    }
}
