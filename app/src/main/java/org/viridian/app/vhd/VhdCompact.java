package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
import org.viridian.management.config.Sizes;
import org.viridian.storage.ops.Compactor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "compact",
        mixinStandardHelpOptions = true,
        description = "Reclaim the space of blocks that read as zeros (dynamic VHD/VHDX).")
final class VhdCompact implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(
            names = {"-p", "--progress"},
            description = "Show progress on stderr.")
    boolean progress;

    @Override
    public Integer call() throws Exception {
        long saved = Compactor.compact(file, new ProgressMeter(progress));
        System.out.println(Messages.get("vhd.reclaimed", file, Sizes.human(saved)));
        return 0;
    }
}
