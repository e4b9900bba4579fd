package org.viridian.machine.boot;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
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
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * The modules of an unpacked kernel package and their dependencies. The .deb has no modules.dep (depmod makes it at
 * install time), so each module's own "depends=" entry in its .modinfo section is read instead.
 */
public final class KernelModules {
    private static final List<String> EXTENSIONS = List.of(".ko", ".ko.xz", ".ko.zst", ".ko.gz");
    private final Map<String, Path> byName = new HashMap<>();

    public KernelModules(Path tree) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            s.filter(p -> name(p) != null).forEach(p -> byName.put(name(p), p));
        }
    }

    /** The module's name ("hv_netvsc" for hv_netvsc.ko or hv_netvsc.ko.xz), or null for a file that is none. */
    private static String name(Path ko) {
        String f = ko.getFileName().toString();
        for (String ext : EXTENSIONS)
            if (f.endsWith(ext))
                return f.substring(0, f.length() - ext.length()).replace('-', '_');
        return null;
    }

    /** The module file's name once unpacked ("hv_netvsc.ko"): what insmod is given. */
    public static String fileName(Path ko) {
        return name(ko) + ".ko";
    }

    /**
     * The module's ELF bytes: Debian 13 and others compress modules (.ko.xz, .ko.zst), and a busybox insmod takes
     * them unpacked.
     */
    public static byte[] read(Path ko) throws IOException {
        String f = ko.getFileName().toString();
        if (f.endsWith(".ko")) return Files.readAllBytes(ko);
        try (InputStream in = new CompressorStreamFactory()
                .createCompressorInputStream(new BufferedInputStream(Files.newInputStream(ko)))) {
            return in.readAllBytes();
        } catch (CompressorException e) {
            throw new IOException(ko + ": " + e.getMessage(), e);
        }
    }

    /** The modules to insmod for {@code wanted}, dependencies first; built-in dependencies need nothing. */
    public List<Path> closure(List<String> wanted) throws IOException {
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

    public static List<String> depends(Path ko) throws IOException {
        return depends(read(ko));
    }

    /** The "depends=" entry of an unpacked module's .modinfo: the modules it needs loaded first. */
    public static List<String> depends(byte[] elf) {
        String text = new String(elf, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("\0depends=");
        if (at < 0) return List.of();
        int start = at + "\0depends=".length(), end = text.indexOf('\0', start);
        String list = text.substring(start, end);
        return list.isEmpty() ? List.of() : List.of(list.split(","));
    }
}
