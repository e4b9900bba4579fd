package org.viridian.management.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * VM definitions on disk: {@code <state-dir>/vms/<id>/config.json}, each replaced atomically ({@link AtomicFiles}).
 * A VM is deleted by renaming its directory away first, so a crash mid-delete never leaves half a definition.
 */
public final class ConfigStore {
    public static final String CONFIG = "config.json";
    private final Path vms;
    private final ObjectMapper json;

    /** What was found on disk: the definitions, and one line per file that could not be read. */
    public record Loaded(List<VmConfig> configs, List<String> problems) {}

    public ConfigStore(Path stateDir, ObjectMapper json) throws IOException {
        this.vms = stateDir.resolve("vms");
        this.json = json;
        Files.createDirectories(vms);
    }

    public Path dir(UUID id) {
        return vms.resolve(id.toString());
    }

    public void save(VmConfig c) throws IOException {
        Files.createDirectories(dir(c.id()));
        AtomicFiles.write(
                dir(c.id()).resolve(CONFIG),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
    }

    public Loaded loadAll() throws IOException {
        List<VmConfig> configs = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(vms)) {
            for (Path d : dirs) {
                String n = d.getFileName().toString();
                if (n.startsWith(".deleted-") || n.startsWith(".import-")) {
                    deleteTree(d); // a delete or an import that a crash interrupted
                    continue;
                }
                if (!Files.isDirectory(d) || !VmConfigs.looksLikeUuid(n)) continue;
                Path f = d.resolve(CONFIG);
                if (!Files.exists(f)) continue; // created but never written: nothing was promised
                try {
                    VmConfig c = json.readValue(f.toFile(), VmConfig.class);
                    if (!c.id().toString().equals(n))
                        throw new IOException("id " + c.id() + " does not match its directory");
                    configs.add(c);
                } catch (IOException | RuntimeException e) {
                    problems.add(f + ": " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
        }
        configs.sort(Comparator.comparing(VmConfig::created).thenComparing(VmConfig::name));
        return new Loaded(configs, problems);
    }

    public void delete(UUID id) throws IOException {
        Path d = dir(id);
        if (!Files.exists(d)) return;
        Path gone = vms.resolve(".deleted-" + id);
        Files.move(d, gone);
        AtomicFiles.syncDirectory(vms);
        deleteTree(gone);
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
