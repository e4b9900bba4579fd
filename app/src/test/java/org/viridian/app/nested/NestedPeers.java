package org.viridian.app.nested;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opentest4j.TestAbortedException;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/**
 * `viridian bench peers` in the nested KVM host, for the default run's short case ({@link NestedKvmIT}) and the full
 * acceptance run: the programs it needs there (fio, QEMU with KVM), the guest kernel's disk drivers, the command, and
 * what every run of it must show: a figure above 0 from every engine in every row, and JSON that parses.
 */
public final class NestedPeers {
    /** The rows of the short run (--short), in order. */
    public static final List<String> SHORT_ROWS = List.of(
            "boot to /init s",
            "boot: the kernel's uptime at /init s",
            "4 KiB random read QD1 IOPS",
            "4 KiB random read QD1 p50 us",
            "4 KiB random read QD1 p99 us",
            "4 KiB random read QD1 host CPU us/IO",
            "4 KiB random read QD32 IOPS",
            "4 KiB random read QD32 p50 us",
            "4 KiB random read QD32 p99 us",
            "4 KiB random read QD32 host CPU us/IO");

    private static final String JSON_MARK = "@@@PEERS-JSON\n";

    private NestedPeers() {}

    /**
     * fio and QEMU with their libraries, and the guest's disk drivers under opt/files/modules (the bench's --modules);
     * empty when fio or QEMU cannot be had here (the caller skips the bench with that reason).
     */
    public static Map<String, Path> hostFiles() throws IOException, InterruptedException {
        Map<String, Path> files = new LinkedHashMap<>(NestedKvmHost.dynamicProgram("fio", "fio", "usr/bin/fio"));
        if (files.isEmpty()) return Map.of();
        try {
            files.putAll(NestedKvmHost.qemuKvm());
        } catch (TestAbortedException e) {
            return Map.of();
        }
        Path tree = DebianKernel.modules();
        for (Path ko : new KernelModules(tree).closure(org.viridian.app.bench.PeersGuest.MODULES))
            files.put("opt/files/modules/" + tree.relativize(ko), ko);
        return files;
    }

    /** The shell command: the bench with {@code args} on the stock kernel (files' "vmlinuz"), then its JSON. */
    public static String command(String args) {
        return "viridian bench peers --kernel vmlinuz --modules modules --json peers.json " + args + " && echo '"
                + JSON_MARK.strip() + "' && cat peers.json";
    }

    /** Every row in {@code rows} present with a figure above 0 for each of {@code engines}, and the JSON holds them. */
    public static void check(NestedKvmHost.Outcome o, List<String> rows, int engines) throws IOException {
        assertThat(o.rc()).as(o.output()).isZero();
        Map<String, List<Double>> table = new LinkedHashMap<>();
        for (String line : o.output().lines().toList()) {
            if (!line.endsWith(" higher") && !line.endsWith(" lower")) continue;
            String[] cells = line.strip().split("\\s{2,}");
            // test, a figure per engine, a ratio per peer, better.
            assertThat(cells).as(line).hasSize(1 + engines + (engines - 1) + 1);
            table.put(
                    cells[0],
                    java.util.Arrays.stream(cells, 1, 1 + engines)
                            .map(c -> c.equals("n/a") ? Double.NaN : Double.parseDouble(c))
                            .toList());
        }
        assertThat(table.keySet()).as(o.output()).containsExactlyElementsOf(rows);
        table.forEach(
                (row, values) -> assertThat(values).as(row + " per engine").allMatch(v -> v > 0));
        int at = o.output().indexOf(JSON_MARK);
        assertThat(at).as("the JSON after the table").isNotNegative();
        JsonNode json = new ObjectMapper().readTree(o.output().substring(at + JSON_MARK.length()));
        assertThat(json.path("engines")).hasSize(engines);
        assertThat(json.path("rows")).hasSize(rows.size());
        for (JsonNode r : json.path("rows"))
            assertThat(r.path("values").size()).as(r.toString()).isEqualTo(engines);
    }
}
