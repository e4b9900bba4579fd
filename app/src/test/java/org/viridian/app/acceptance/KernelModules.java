package org.viridian.app.acceptance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The modules of an unpacked kernel package and their dependencies. The .deb has no modules.dep (depmod makes it at
 * install time), so each module's own "depends=" entry in its .modinfo section is read instead.
 */
final class KernelModules {
    private final Map<String, Path> byName = new HashMap<>();

    KernelModules(Path tree) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            s.filter(p -> p.getFileName().toString().endsWith(".ko")).forEach(p -> byName.put(name(p), p));
        }
    }

    private static String name(Path ko) {
        String f = ko.getFileName().toString();
        return f.substring(0, f.length() - 3).replace('-', '_');
    }

    /** The modules to insmod for {@code wanted}, dependencies first; built-in dependencies need nothing. */
    List<Path> closure(List<String> wanted) throws IOException {
        Set<String> order = new LinkedHashSet<>();
        for (String w : wanted) visit(w.replace('-', '_'), order, new LinkedHashSet<>());
        List<Path> out = new ArrayList<>();
        for (String n : order) out.add(byName.get(n));
        return out;
    }

    private void visit(String name, Set<String> order, Set<String> path) throws IOException {
        if (order.contains(name)) return;
        if (!path.add(name)) throw new IOException("module dependency cycle through " + path);
        Path ko = byName.get(name);
        if (ko == null) return; // built into the kernel
        for (String dep : depends(ko)) visit(dep, order, path);
        order.add(name);
    }

    static List<String> depends(Path ko) throws IOException {
        String text = new String(Files.readAllBytes(ko), StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\0depends=");
        if (at < 0) return List.of();
        int start = at + "\0depends=".length(), end = text.indexOf('\0', start);
        String list = text.substring(start, end);
        return list.isEmpty() ? List.of() : List.of(list.split(","));
    }
}
