package org.viridian.app.vhd;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.viridian.app.cli.Messages;
import org.viridian.storage.ops.CheckReport;
import org.viridian.storage.ops.Checker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = "Check an image's consistency (every field, BAT, log, footers); --repair fixes what can be fixed "
                + "safely.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            "0:consistent (after repair, if asked)",
            "2:problems found",
            "3:the image cannot be opened at all"
        })
final class VhdCheck implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Option(
            names = {"-r", "--repair"},
            description = "Replay a pending VHDX log, rewrite damaged footers, clear invalid BAT entries.")
    boolean repair;

    @Override
    public Integer call() throws Exception {
        CheckReport r = Checker.check(file, repair);
        r.problems().forEach(p -> System.out.println(Messages.get("vhd.problem", p)));
        r.repairs().forEach(p -> System.out.println(Messages.get("vhd.repaired", p)));
        if (!r.repairable()) {
            System.out.println(Messages.get("vhd.cannotOpen", file));
            return 3;
        }
        if (repair) {
            CheckReport after = Checker.check(file, false);
            after.problems().forEach(p -> System.out.println(Messages.get("vhd.remains", p)));
            System.out.println(Messages.get(after.clean() ? "vhd.consistent" : "vhd.problemsRemain", file));
            return after.clean() ? 0 : 2;
        }
        System.out.println(
                r.clean()
                        ? Messages.get("vhd.noProblems", file)
                        : Messages.get("vhd.problemsFound", file, r.problems().size()));
        return r.clean() ? 0 : 2;
    }
}
