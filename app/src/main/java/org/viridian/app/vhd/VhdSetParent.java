package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
import org.viridian.storage.ops.ParentSetter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "set-parent",
        mixinStandardHelpOptions = true,
        description = "Point a differencing disk at its moved or renamed parent.")
final class VhdSetParent implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHILD")
    Path child;

    @Parameters(index = "1", paramLabel = "PARENT")
    Path parent;

    @Option(names = "--force", description = "Accept a parent whose identity differs (a copy with the same content).")
    boolean force;

    @Override
    public Integer call() throws Exception {
        ParentSetter.setParent(child, parent, force);
        System.out.println(Messages.get("vhd.parentSet", child, parent));
        return 0;
    }
}
