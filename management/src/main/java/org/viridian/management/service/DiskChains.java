package org.viridian.management.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.viridian.management.config.Disk;
import org.viridian.storage.DiskImage;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.ops.Images;

/** The image files a VM's disks stand on: each differencing image with every parent down to its base. */
final class DiskChains {
    /** At most this many images in one chain: a loop of parent locators must not hang an export. */
    private static final int MAX_DEPTH = 256;

    private DiskChains() {}

    /**
     * Every image the disks need, each once, parents before their children (so copying them in this order always has
     * a child's parent in place first).
     */
    static List<Path> imagesOf(List<Disk> disks) throws IOException {
        Set<Path> out = new LinkedHashSet<>();
        for (Disk d : disks) {
            List<Path> chain = new ArrayList<>();
            Path p = normal(Path.of(d.path()));
            while (p != null) {
                if (chain.contains(p) || chain.size() > MAX_DEPTH)
                    throw new IOException(d.path() + ": its parent chain loops or is deeper than " + MAX_DEPTH);
                if (!Files.isRegularFile(p)) throw new IOException("disk image " + p + " is missing");
                chain.add(p);
                p = parentOf(p).map(DiskChains::normal).orElse(null);
            }
            for (int i = chain.size() - 1; i >= 0; i--) out.add(chain.get(i));
        }
        return List.copyOf(out);
    }

    static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }

    /**
     * The image a differencing image names as its parent, found as opening it would find it, without opening the
     * parent: after a merge the parent no longer matches the children still pointing at it.
     */
    static Optional<Path> parentOf(Path image) throws IOException {
        if (!Files.exists(image)) return Optional.empty();
        Path[] named = new Path[1];
        OpenOptions o = new OpenOptions(true, false, 0, (p, opts) -> {
            named[0] = p;
            throw new ParentNamed();
        });
        try (DiskImage d = Images.open(image, null, o)) {
            return Optional.empty();
        } catch (ParentNamed n) {
            return Optional.of(named[0]);
        }
    }

    /** Ends an open once the parent's path is known (see {@link #parentOf}). */
    private static final class ParentNamed extends IOException {
        ParentNamed() {
            super("parent named");
        }
    }
}
