package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.ByteSize;
import org.viridian.app.cli.Messages;
import org.viridian.management.config.Sizes;
import org.viridian.storage.ops.Resizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
        name = "resize",
        mixinStandardHelpOptions = true,
        description = "Change the virtual size: grow, or shrink when everything past the new end reads as zeros.")
final class VhdResize implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Parameters(index = "1", paramLabel = "SIZE", converter = ByteSize.class)
    long size;

    @Override
    public Integer call() throws Exception {
        Resizer.resize(file, size);
        System.out.println(Messages.get("vhd.resized", file, Sizes.human(size)));
        return 0;
    }
}
