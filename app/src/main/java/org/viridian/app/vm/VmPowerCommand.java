package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** start, stop, pause, resume, reset: the power operations; the long ones wait for their job unless --no-wait. */
final class VmPowerCommand {
    private VmPowerCommand() {}

    abstract static class Op extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Option(names = "--no-wait", description = "Return once the operation is accepted.")
        boolean noWait;

        abstract String action();

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode answer = c.post(path(vm) + "/" + action(), null);
            if (answer.has("kind") && answer.has("status")) { // a job
                printJob(answer, c, noWait);
                return 0;
            } else if (connection.json) {
                printJson(answer, c);
            } else {
                out().println(Messages.get(
                        "vm.isNow",
                        answer.get("name").asText(),
                        Messages.state(answer.get("state").asText())));
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a VM.")
    static final class Start extends Op {
        @Override
        String action() {
            return "start";
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = "Turn a VM off (hard), or --graceful: ask the guest to shut down through the shutdown "
                    + "integration service (a guest without one is powered off hard).")
    static final class Stop extends Op {
        @Option(names = "--graceful", description = "Shut down instead of turning off.")
        boolean graceful;

        @Override
        String action() {
            return graceful ? "stop?mode=graceful" : "stop";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a running VM.")
    static final class Pause extends Op {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused VM.")
    static final class Resume extends Op {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(
            name = "save",
            mixinStandardHelpOptions = true,
            description = "Save a running or paused VM (Save-VM): its memory and device state go to disk and it is "
                    + "turned off; 'vm start' resumes it where it was, 'vm stop' discards the saved state.")
    static final class Save extends Op {
        @Override
        String action() {
            return "save";
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = "Power-cycle a VM.")
    static final class Reset extends Op {
        @Override
        String action() {
            return "reset";
        }
    }
}
