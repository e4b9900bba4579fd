package org.viridian.management.service;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.viridian.management.config.NetworkAdapter;

/**
 * One step that takes a running VM's adapters from one list to another: an adapter added ({@code from} null), removed
 * ({@code to} null) or changed. Adapters are matched by name (unique in a VM, in any case).
 */
record AdapterChange(NetworkAdapter from, NetworkAdapter to) {
    /** The steps from {@code before} to {@code after}: removals first (they free MACs and ports), then changes, adds. */
    static List<AdapterChange> between(List<NetworkAdapter> before, List<NetworkAdapter> after) {
        Map<String, NetworkAdapter> old = byName(before), now = byName(after);
        List<AdapterChange> steps = new ArrayList<>();
        old.forEach((name, a) -> {
            if (!now.containsKey(name)) steps.add(new AdapterChange(a, null));
        });
        old.forEach((name, a) -> {
            NetworkAdapter b = now.get(name);
            if (b != null && !b.equals(a)) steps.add(new AdapterChange(a, b));
        });
        now.forEach((name, b) -> {
            if (!old.containsKey(name)) steps.add(new AdapterChange(null, b));
        });
        return steps;
    }

    void applyTo(RunningVm vm) throws IOException {
        if (from == null) vm.addNetworkAdapter(to);
        else if (to == null) vm.removeNetworkAdapter(from);
        else vm.updateNetworkAdapter(from, to);
    }

    AdapterChange inverse() {
        return new AdapterChange(to, from);
    }

    private static Map<String, NetworkAdapter> byName(List<NetworkAdapter> adapters) {
        Map<String, NetworkAdapter> m = new LinkedHashMap<>();
        for (NetworkAdapter a : adapters) m.put(a.name().toLowerCase(Locale.ROOT), a);
        return m;
    }
}
