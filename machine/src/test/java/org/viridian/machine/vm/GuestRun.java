package org.viridian.machine.vm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.viridian.machine.VirtualMachine;
import org.viridian.machine.VmSpec;
import org.viridian.machine.console.ConsoleEndpoint;
import org.viridian.partition.PartitionExit;

/** Boots one of the project's test guests in a real VM and collects its console and how it ended. */
record GuestRun(String console, PartitionExit exit) {
    static GuestRun boot(String guest, int cpus, String cmdline) throws Exception {
        return boot(guest, cpus, cmdline, vm -> {});
    }

    static GuestRun boot(String guest, int cpus, String cmdline, Consumer<VirtualMachine> setup) throws Exception {
        Path kernel = extract(guest);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VmSpec spec = new VmSpec(guest, cpus, 64L << 20, kernel, null, cmdline);
        try (VirtualMachine vm = VirtualMachine.create(spec, ConsoleEndpoint.to(out))) {
            setup.accept(vm);
            vm.start();
            PartitionExit exit = vm.exit().get(60, TimeUnit.SECONDS);
            return new GuestRun(out.toString(), exit);
        } finally {
            Files.deleteIfExists(kernel);
        }
    }

    static Path extract(String guest) throws IOException {
        try (InputStream in = GuestRun.class.getResourceAsStream("/guests/" + guest)) {
            if (in == null) throw new IOException("test guest not built: /guests/" + guest);
            Path p = Files.createTempFile("guest-", "-" + guest);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }
}
