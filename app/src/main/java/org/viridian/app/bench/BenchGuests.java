package org.viridian.app.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Built-in guests (and host tools) copied out of the jar into a temporary directory for one benchmark run. */
final class BenchGuests implements AutoCloseable {
    private final Path dir;

    private BenchGuests(Path dir) {
        this.dir = dir;
    }

    /** Names under /guests/ in the jar. */
    static BenchGuests extract(String... guests) throws IOException {
        BenchGuests b = new BenchGuests(Files.createTempDirectory("viridian-bench"));
        for (String g : guests) b.copy("/guests/" + g, g);
        return b;
    }

    Path copy(String resource, String name) throws IOException {
        Path to = dir.resolve(name);
        try (InputStream in = BenchGuests.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("missing from this build: " + resource);
            Files.copy(in, to);
            return to;
        }
    }

    Path path(String name) {
        return dir.resolve(name);
    }

    @Override
    public void close() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }
}
