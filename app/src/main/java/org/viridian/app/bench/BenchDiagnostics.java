package org.viridian.app.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.viridian.machine.VirtualMachine;
import org.viridian.partition.vp.FlightRecorder;

/**
 * `bench netvsp --diagnose`: once a Viridian guest has reported its TCP test (its UDP test runs next), the adapter's
 * counters and the VPs' flight recorders, twice a second apart, so the gaps between the guest's signals and the
 * host's interrupts show where a packet waits.
 */
final class BenchDiagnostics {
    private BenchDiagnostics() {}

    static void watch(String name, VirtualMachine vm, ByteArrayOutputStream console) {
        Thread.ofPlatform().daemon().name("diag-" + name).start(() -> {
            try {
                // The TCP test first (a stall shows as long gaps in the recorder), then the UDP test.
                if (!await(vm, console, "NETBENCH-START tcp")) return;
                Thread.sleep(3000);
                dump(name, vm, "tcp+3s", 300);
                if (!await(vm, console, "NETBENCH tcp")) return;
                Thread.sleep(2000);
                dump(name, vm, "udp+2s", 150);
                Thread.sleep(1000);
                dump(name, vm, "udp+3s", 0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                System.out.println("DIAG " + name + ": " + e);
            }
        });
    }

    /** Waits until the console shows {@code text}; false when the VM ended first. */
    private static boolean await(VirtualMachine vm, ByteArrayOutputStream console, String text)
            throws InterruptedException {
        while (!console.toString(StandardCharsets.ISO_8859_1).contains(text)) {
            if (vm.exit().isDone()) return false;
            Thread.sleep(100);
        }
        return true;
    }

    static void dump(String name, VirtualMachine vm, String when, int recorderEntries) {
        StringBuilder b = new StringBuilder();
        for (var a : vm.networkAdapters())
            b.append("DIAG ")
                    .append(name)
                    .append(' ')
                    .append(when)
                    .append(" counters ")
                    .append(a.netVsp().counters())
                    .append(" tap errors ")
                    .append(a.port().errors())
                    .append("; ring ")
                    .append(a.netVsp().ringStatistics())
                    .append('\n');
        // Which threads of this process burn the (nested) host's CPUs: name, utime, stime, guest time in ticks.
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (var t : tasks.toList()) {
                String stat = java.nio.file.Files.readString(t.resolve("stat"));
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                b.append("DIAG ")
                        .append(name)
                        .append(' ')
                        .append(when)
                        .append(" thread ")
                        .append(t.getFileName());
                b.append(' ')
                        .append(comm)
                        .append(" utime ")
                        .append(f[11])
                        .append(" stime ")
                        .append(f[12]);
                b.append(" guest ").append(f.length > 40 ? f[40] : "?").append('\n');
            }
            b.append("DIAG ").append(name).append(' ').append(when).append(" loadavg ");
            b.append(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")));
            b.append("DIAG ").append(name).append(' ').append(when).append(" cpus ");
            b.append(Runtime.getRuntime().availableProcessors()).append('\n');
            // The host's side of the frames: did they arrive (tap rx), get dropped (softnet), reach UDP sockets?
            for (String f : List.of("/proc/net/snmp", "/proc/net/dev", "/proc/net/softnet_stat"))
                for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of(f)))
                    if (!f.endsWith("snmp") || l.startsWith("Udp:") || l.startsWith("Ip:") || l.startsWith("Tcp:"))
                        b.append("DIAG ")
                                .append(name)
                                .append(' ')
                                .append(when)
                                .append(' ')
                                .append(l)
                                .append('\n');
        } catch (java.io.IOException e) {
            b.append("DIAG ").append(name).append(" threads: ").append(e).append('\n');
        }
        List<FlightRecorder.Entry> entries = vm.partition().recorded();
        for (FlightRecorder.Entry e : entries.subList(Math.max(0, entries.size() - recorderEntries), entries.size()))
            b.append("DIAG ")
                    .append(name)
                    .append(' ')
                    .append(when)
                    .append(' ')
                    .append(e.render())
                    .append('\n');
        System.out.print(b);
        System.out.flush();
    }
}
