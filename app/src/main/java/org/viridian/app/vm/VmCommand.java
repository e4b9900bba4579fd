package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `viridian vm …`: VMs of the host service, through its REST API. */
@Command(
        name = "vm",
        mixinStandardHelpOptions = true,
        description = "Manage VMs through the host service (viridian serve).",
        subcommands = {
            VmCommand.List.class,
            VmCreateCommand.class,
            VmCommand.Show.class,
            VmSetCommand.class,
            VmPowerCommand.Start.class,
            VmPowerCommand.Stop.class,
            VmPowerCommand.Pause.class,
            VmPowerCommand.Resume.class,
            VmPowerCommand.Reset.class,
            VmPowerCommand.Save.class,
            VmCheckpointCommand.class,
            VmMoveCommand.Export.class,
            VmMoveCommand.Import.class,
            VmMoveCommand.Move.class,
            VmCommand.Delete.class,
            VmConsoleCommand.class,
            VmDiskCommand.class,
            VmNicCommand.class,
            VmFlightRecorderCommand.class,
            VmMetricsCommand.class
        })
public final class VmCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List VMs and their states.")
    static final class List extends VmSubcommand {
        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode vms = c.get("/api/v1/vms");
            if (connection.json) {
                printJson(vms, c);
                return 0;
            }
            Table t = new Table(Messages.columns("name", "state", "cpus", "memory", "boot", "ipv4", "id"));
            for (JsonNode v : vms) {
                String ipv4 = ipv4(v, ","); // one word: the table stays columns
                t.row(
                        v.path("name").asText(),
                        Messages.state(v.path("state").asText()),
                        v.path("cpus").asInt(),
                        v.path("memory").asText(),
                        boot(v.path("boot")),
                        ipv4.isEmpty() ? "-" : ipv4,
                        v.path("id").asText());
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a VM's settings and state.")
    static final class Show extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            printVm(c.get(path(vm)), c);
            return 0;
        }
    }

    @Command(
            name = "delete",
            aliases = "rm",
            mixinStandardHelpOptions = true,
            description = "Delete a VM that is not running.")
    static final class Delete extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Override
        public Integer call() {
            connection.client().delete(path(vm));
            out().println(Messages.get("vm.deleted", vm));
            out().flush();
            return 0;
        }
    }
}
