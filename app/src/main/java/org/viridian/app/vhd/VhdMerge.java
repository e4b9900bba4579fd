package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
import org.viridian.storage.ops.Merger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "merge",
        mixinStandardHelpOptions = true,
        description =
                "Write a differencing disk's own blocks into its parent. The child is left in place but no longer "
                        + "valid against the changed parent.")
final class VhdMerge implements Callable<Integer> {
    @Parameters(paramLabel = "CHILD")
    Path child;

    @Option(
            names = {"-p", "--progress"},
            description = "Show progress on stderr.")
    boolean progress;

    @Override
    public Integer call() throws Exception {
        Path parent = Merger.merge(child, new ProgressMeter(progress));
        System.out.println(Messages.get("vhd.merged", child, parent));
        return 0;
    }
}
