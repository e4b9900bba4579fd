package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** `viridian vm create NAME …`. */
@Command(
        name = "create",
        mixinStandardHelpOptions = true,
        description = "Create a VM (default: 1 processor, the built-in SMP demo guest, 64M).")
final class VmCreateCommand extends VmSubcommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "VM name: letters, digits, '.', '_', '-'.")
    String name;

    @Mixin
    VmSettings settings;

    @Option(
            names = "--disk",
            paramLabel = "PATH",
            description = "Attach a disk image on the service's host (repeatable).")
    List<Path> disks;

    @Option(names = "--start", description = "Start it once created.")
    boolean start;

    @Mixin
    HighAvailabilityOptions ha;

    @Override
    public Integer call() {
        ServiceClient c = connection.client();
        Map<String, Object> r = settings.request(name);
        if (disks != null)
            r.put(
                    "disks",
                    disks.stream()
                            .map(d -> Map.of("path", d.toAbsolutePath().toString()))
                            .toList());
        JsonNode vm = c.post("/api/v1/vms", r);
        ha.apply(c, vm.get("id").asText());
        if (start) {
            c.awaitJob(c.post(path(vm.get("id").asText()) + "/start", null));
            vm = c.get(path(vm.get("id").asText()));
        }
        if (connection.json) printJson(vm, c);
        else {
            out().println(Messages.get(
                    "vm.created",
                    vm.get("name").asText(),
                    vm.get("id").asText(),
                    Messages.state(vm.get("state").asText())));
            out().flush();
        }
        return 0;
    }
}
