package org.viridian.management.config;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Switch definitions on disk: {@code <state-dir>/switches/<name>.json}, each replaced atomically ({@link AtomicFiles}),
 * and {@code .applied}: the switches this state directory's service has put on the host, so a restarted service can
 * take away what it made but no longer holds (a crash between the two steps of a create or delete).
 */
public final class SwitchStore {
    private static final String APPLIED = ".applied";
    private final Path dir;
    private final ObjectMapper json;

    public record Loaded(List<SwitchConfig> configs, List<String> problems) {}

    public SwitchStore(Path stateDir, ObjectMapper json) throws IOException {
        this.dir = stateDir.resolve("switches");
        this.json = json;
        Files.createDirectories(dir);
    }

    public Path file(String name) {
        return dir.resolve(name + ".json");
    }

    public void save(SwitchConfig c) throws IOException {
        AtomicFiles.write(file(c.name()), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(c));
    }

    public void delete(String name) throws IOException {
        if (Files.deleteIfExists(file(name))) AtomicFiles.syncDirectory(dir);
    }

    public Loaded loadAll() throws IOException {
        List<SwitchConfig> configs = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String n = f.getFileName().toString();
                n = n.substring(0, n.length() - ".json".length());
                if (!SwitchConfigs.NAME.matcher(n).matches()) continue;
                try {
                    SwitchConfig c = json.readValue(f.toFile(), SwitchConfig.class);
                    if (!c.name().equals(n)) throw new IOException("name " + c.name() + " does not match its file");
                    c.spec(); // still a valid switch
                    configs.add(c);
                } catch (IOException | RuntimeException e) {
                    problems.add(f + ": "
                            + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
                }
            }
        }
        configs.sort(Comparator.comparing(SwitchConfig::name));
        return new Loaded(configs, problems);
    }

    /** The switches this service has put on the host and not yet taken away. */
    public Set<String> applied() throws IOException {
        Path f = dir.resolve(APPLIED);
        if (!Files.exists(f)) return new TreeSet<>();
        return new TreeSet<>(json.readValue(f.toFile(), new TypeReference<List<String>>() {}));
    }

    public void applied(Set<String> names) throws IOException {
        AtomicFiles.write(dir.resolve(APPLIED), json.writeValueAsBytes(new ArrayList<>(new TreeSet<>(names))));
    }
}
