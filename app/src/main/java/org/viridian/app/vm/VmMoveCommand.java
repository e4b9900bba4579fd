package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** export, import, move: a VM between hosts (Export-VM, Import-VM, Move-VM); each waits for its job unless --no-wait. */
final class VmMoveCommand {
    private VmMoveCommand() {}

    abstract static class JobCommand extends VmSubcommand {
        @Option(names = "--no-wait", description = "Return once the operation is accepted.")
        boolean noWait;

        /** Starts the job and prints its outcome (a failed job is an error, as for every other job). */
        int run(String path, Object body) {
            ServiceClient c = connection.client();
            JsonNode job = c.post(path, body);
            printJob(job, c, noWait);
            return 0;
        }
    }

    @Command(
            name = "export",
            mixinStandardHelpOptions = true,
            description = "Export a VM that is off or saved (Export-VM): DIR/<name>/ gets its definition, saved state, "
                    + "checkpoints and a copy of every disk image it uses (whole differencing chains).")
    static final class Export extends JobCommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Parameters(index = "1", paramLabel = "DIR", description = "Directory on the service's host.")
        Path dir;

        @Override
        public Integer call() {
            return run(path(vm) + "/export", Map.of("path", dir.toAbsolutePath().toString()));
        }
    }

    @Command(
            name = "import",
            mixinStandardHelpOptions = true,
            description = "Import an exported VM (Import-VM): checked whole, its disks copied, registered saved or "
                    + "off. A name or id in use is refused unless --new-id.")
    static final class Import extends JobCommand {
        @Parameters(index = "0", paramLabel = "DIR", description = "The export (the directory with manifest.json).")
        Path dir;

        @Option(
                names = "--copy-to",
                paramLabel = "DIR",
                description = "Where the disk images go (default: the service's <state>/disks).")
        Path copyTo;

        @Option(names = "--new-id", description = "Give the VM a new id (and a numbered name if its own is taken).")
        boolean newId;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("path", dir.toAbsolutePath().toString());
            if (copyTo != null) body.put("copyTo", copyTo.toAbsolutePath().toString());
            body.put("newId", newId);
            return run("/api/v1/vms/import", body);
        }
    }

    @Command(
            name = "move",
            mixinStandardHelpOptions = true,
            description = "Quick migration (Move-VM): save the VM here, hand it to the service at --to (disks stay "
                    + "where both hosts see them, others are copied), resume it there, then remove it here. A refusal "
                    + "or a network drop leaves it saved here. (--token/--tls-trust are this service's; the "
                    + "destination's are --to-token/--to-tls-trust.)")
    static final class Move extends JobCommand {
        @Parameters(index = "0", paramLabel = "VM", description = "VM name or id.")
        String vm;

        @Option(names = "--to", required = true, paramLabel = "URL", description = "The destination service's URL.")
        String to;

        @Option(names = "--to-token", paramLabel = "T", description = "An admin token of the destination.")
        String toToken;

        @Option(
                names = "--to-tls-trust",
                paramLabel = "PEM",
                description = "Certificate to trust for an https destination.")
        Path toTrust;

        @Override
        public Integer call() throws IOException {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("destination", to);
            if (toToken != null) body.put("token", toToken);
            if (toTrust != null) body.put("tlsTrust", Files.readString(toTrust, StandardCharsets.US_ASCII));
            return run(path(vm) + "/move", body);
        }
    }
}
