package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * `viridian vm checkpoint VM [--name N]` (Checkpoint-VM) and `vm checkpoint list|apply|delete|rename`: Hyper-V's
 * standard checkpoints of memory, devices and disks.
 */
@Command(
        name = "checkpoint",
        mixinStandardHelpOptions = true,
        description = "Take a standard checkpoint of a VM (memory and devices if it runs; its disks continue on new "
                + "differencing disks), or list, apply, delete or rename its checkpoints.",
        subcommands = {
            VmCheckpointCommand.List.class,
            VmCheckpointCommand.Apply.class,
            VmCheckpointCommand.Delete.class,
            VmCheckpointCommand.Rename.class
        })
final class VmCheckpointCommand extends VmSubcommand {
    @Parameters(index = "0", paramLabel = "VM", arity = "0..1", description = "VM name or id.")
    String vm;

    @Option(names = "--name", description = "The checkpoint's name (default: the VM's name and the time).")
    String name;

    @Option(names = "--no-wait", description = "Return once the checkpoint is accepted.")
    boolean noWait;

    @Override
    public Integer call() {
        if (vm == null) {
            spec.commandLine().usage(out());
            return 2;
        }
        ServiceClient c = connection.client();
        printJob(c.post(path(vm) + "/checkpoints", name == null ? Map.of() : Map.of("name", name)), c, noWait);
        return 0;
    }

    static String checkpointPath(String vm, String checkpoint) {
        return path(vm) + "/checkpoints/"
                + java.net.URLEncoder.encode(checkpoint, java.nio.charset.StandardCharsets.UTF_8)
                        .replace("+", "%20");
    }

    @Command(
            name = "list",
            aliases = "ls",
            mixinStandardHelpOptions = true,
            description = "A VM's checkpoints, as a tree.")
    static final class List extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode tree = c.get(path(vm) + "/checkpoints");
            if (connection.json) {
                printJson(tree, c);
                return 0;
            }
            String current = tree.path("current").asText("");
            print(tree.path("checkpoints"), "", 0, current);
            if (current.isEmpty() && tree.path("checkpoints").isEmpty()) out().println(Messages.get("checkpoint.none"));
            out().flush();
            return 0;
        }

        /** Children under their parent, indented; the present marked where it descends from. */
        private void print(JsonNode all, String parent, int depth, String current) {
            for (JsonNode cp : all) {
                if (!cp.path("parent").asText("").equals(parent)) continue;
                String id = cp.path("id").asText();
                out().printf(
                                "%s%s  %s  %s%s%s%n",
                                "  ".repeat(depth),
                                cp.path("name").asText(),
                                id.substring(0, 8),
                                cp.path("created").asText(),
                                cp.path("hasState").asBoolean() ? "  " + Messages.get("checkpoint.withState") : "",
                                id.equals(current) ? "  " + Messages.get("checkpoint.now") : "");
                print(all, id, depth + 1, current);
            }
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = "Revert a VM (off or saved) and its disks to a checkpoint (Restore-VMCheckpoint).")
    static final class Apply extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "CHECKPOINT", description = "Checkpoint name or id.")
        String checkpoint;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            printJob(c.post(checkpointPath(vm, checkpoint) + "/apply", null), c, false);
            return 0;
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Delete a checkpoint, merging its differencing disks so that no write is lost.")
    static final class Delete extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "CHECKPOINT")
        String checkpoint;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            printJob(c.delete(checkpointPath(vm, checkpoint)), c, false);
            return 0;
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Rename a checkpoint.")
    static final class Rename extends VmSubcommand {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Parameters(index = "1", paramLabel = "CHECKPOINT")
        String checkpoint;

        @Parameters(index = "2", paramLabel = "NEW-NAME")
        String newName;

        @Override
        public Integer call() {
            ServiceClient c = connection.client();
            JsonNode tree = c.patch(checkpointPath(vm, checkpoint), Map.of("name", newName));
            if (connection.json) printJson(tree, c);
            else out().println(Messages.get("checkpoint.renamed", newName));
            out().flush();
            return 0;
        }
    }
}
