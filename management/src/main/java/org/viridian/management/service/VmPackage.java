package org.viridian.management.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.viridian.management.config.ConfigStore;
import org.viridian.management.config.Disk;
import org.viridian.management.config.VmConfig;
import org.viridian.storage.ops.ParentSetter;

/**
 * A VM as files, the shape Export-VM writes and Import-VM reads, and what a quick migration sends: {@code config.json}
 * (the definition), {@code saved-state.vmrs} (when saved), {@code checkpoints/} (the tree as the VM keeps it), {@code
 * disks/} (a copy of every image the VM and its checkpoints stand on, whole differencing chains, each child's parent
 * locator pointing at its parent's copy) and, written last, {@code manifest.json}: every file with its size and
 * CRC-32C, and for each image where it came from. An export without its manifest is incomplete; one whose files do not
 * match it is damaged: both are refused before anything is registered.
 */
public final class VmPackage {
    static final String MANIFEST = "manifest.json", DISKS = "disks", CHECKPOINTS = "checkpoints";
    static final int VERSION = 1;

    /** One file of the package, by its path relative to the package ('/' separated). */
    public record FileEntry(String path, long size, long crc32c) {}

    /**
     * One image: {@code source}, its path where the VM was; {@code file}, its copy in the package (null: not copied,
     * the importing host sees it at {@code source} — shared storage in a quick migration); {@code parent}, the source
     * of the image it differs from (null: a base image).
     */
    public record DiskEntry(String source, String file, String parent) {}

    public record Manifest(
            int version, UUID id, String name, boolean saved, List<FileEntry> files, List<DiskEntry> disks) {
        public Manifest {
            files = files == null ? List.of() : List.copyOf(files);
            disks = disks == null ? List.of() : List.copyOf(disks);
        }
    }

    private VmPackage() {}

    /** The files of a VM's directory that travel with it: its definition, saved state and checkpoints. */
    static List<String> vmFiles(Path vmDir) throws IOException {
        List<String> out = new ArrayList<>();
        out.add(ConfigStore.CONFIG);
        if (Files.exists(vmDir.resolve(VmService.SAVED_STATE))) out.add(VmService.SAVED_STATE);
        Path cps = vmDir.resolve(CHECKPOINTS);
        if (Files.isDirectory(cps)) {
            try (Stream<Path> s = Files.walk(cps)) {
                for (Path p : s.filter(Files::isRegularFile).sorted().toList()) out.add(relative(vmDir, p));
            }
        }
        return out;
    }

    /** Every disk the VM and its checkpoints use. */
    static List<Disk> allDisks(VmConfig vm, List<Checkpoint> checkpoints) {
        List<Disk> out = new ArrayList<>(vm.disks());
        for (Checkpoint c : checkpoints) out.addAll(c.config().disks());
        return out;
    }

    /** Where each image goes in a package: disks/NAME, a number added where two images share a name. */
    static Map<Path, String> packageNames(List<Path> images) {
        Map<Path, String> out = new HashMap<>();
        Set<String> used = new HashSet<>();
        for (Path p : images) {
            String name = p.getFileName().toString();
            String file = name;
            for (int i = 2; !used.add(file.toLowerCase(java.util.Locale.ROOT)); i++) file = i + "-" + name;
            out.put(p, DISKS + "/" + file);
        }
        return out;
    }

    /**
     * Writes the package of a VM that is off or saved into {@code target} (which must not exist); on any failure what
     * was written is deleted.
     */
    static Manifest export(VmConfig vm, Path vmDir, List<Checkpoint> checkpoints, Path target, ObjectMapper json)
            throws IOException {
        Files.createDirectories(target.getParent());
        Files.createDirectory(target);
        try {
            for (String f : vmFiles(vmDir)) copy(vmDir.resolve(f), target.resolve(f));
            List<Path> images = DiskChains.imagesOf(allDisks(vm, checkpoints));
            Map<Path, String> names = packageNames(images);
            List<DiskEntry> disks = new ArrayList<>();
            for (Path image : images) {
                Path parent = DiskChains.parentOf(image).map(DiskChains::normal).orElse(null);
                Path copy = target.resolve(names.get(image));
                copy(image, copy);
                // A byte copy keeps the VHDX data-write GUID the child's locator names, so linkage still holds.
                if (parent != null) ParentSetter.setParent(copy, target.resolve(names.get(parent)), false);
                disks.add(new DiskEntry(image.toString(), names.get(image), parent == null ? null : parent.toString()));
            }
            List<FileEntry> files = new ArrayList<>();
            for (String f : vmFiles(vmDir)) files.add(entry(target, f));
            for (DiskEntry d : disks) files.add(entry(target, d.file()));
            Manifest m = new Manifest(
                    VERSION, vm.id(), vm.name(), Files.exists(vmDir.resolve(VmService.SAVED_STATE)), files, disks);
            writeAtomically(
                    target.resolve(MANIFEST),
                    json.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
            return m;
        } catch (IOException | RuntimeException e) {
            deleteTree(target);
            throw e;
        }
    }

    static FileEntry entry(Path root, String rel) throws IOException {
        Path p = root.resolve(rel);
        return new FileEntry(rel, Files.size(p), crc(p));
    }

    /**
     * The package's manifest and definition, after checking that every file it lists is there with its size and
     * checksum, every file name stays inside the package, and every disk the definition and its checkpoints use is
     * among its images. Throws a 422 {@link ServiceException} saying what is wrong.
     */
    static Verified verify(Path pkg, ObjectMapper json) {
        Manifest m;
        VmConfig config;
        List<Checkpoint> checkpoints = new ArrayList<>();
        try {
            if (!Files.isRegularFile(pkg.resolve(MANIFEST)))
                throw refused(pkg + " is not a complete export: " + MANIFEST + " is missing");
            m = json.readValue(pkg.resolve(MANIFEST).toFile(), Manifest.class);
            if (m.version() != VERSION)
                throw refused("export format " + m.version() + " is not " + VERSION + " (written by another version)");
            for (FileEntry f : m.files()) {
                Path p = inside(pkg, f.path());
                if (!Files.isRegularFile(p)) throw refused("the export misses " + f.path());
                if (Files.size(p) != f.size())
                    throw refused(f.path() + " is " + Files.size(p) + " bytes, the export says " + f.size()
                            + " (truncated or changed)");
                if (crc(p) != f.crc32c()) throw refused(f.path() + " is damaged (its checksum does not match)");
            }
            Set<String> listed = new HashSet<>();
            m.files().forEach(f -> listed.add(f.path()));
            if (!listed.contains(ConfigStore.CONFIG)) throw refused("the export has no " + ConfigStore.CONFIG);
            if (m.saved() && !listed.contains(VmService.SAVED_STATE))
                throw refused("the export says the VM is saved but has no " + VmService.SAVED_STATE);
            config = json.readValue(pkg.resolve(ConfigStore.CONFIG).toFile(), VmConfig.class);
            for (String f : listed)
                if (f.startsWith(CHECKPOINTS + "/") && f.endsWith("/" + Checkpoints.CHECKPOINT))
                    checkpoints.add(json.readValue(pkg.resolve(f).toFile(), Checkpoint.class));
            Set<String> sources = new HashSet<>();
            for (DiskEntry d : m.disks()) {
                if (d.source() == null) throw refused("an image of the export has no source path");
                sources.add(d.source());
                if (d.file() != null && !listed.contains(d.file()))
                    throw refused("image " + d.file() + " is not among the export's files");
                if (d.file() == null && !Files.isRegularFile(Path.of(d.source())))
                    throw refused("disk " + d.source() + " is not on this host");
                if (d.parent() != null
                        && m.disks().stream().noneMatch(x -> d.parent().equals(x.source())))
                    throw refused("the parent of " + d.source() + " is not in the export");
            }
            for (Disk d : allDisks(config, checkpoints))
                if (!sources.contains(DiskChains.normal(Path.of(d.path())).toString()))
                    throw refused("disk " + d.path() + " of the VM is not in the export");
        } catch (ServiceException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw refused("cannot read the export in " + pkg + ": "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        return new Verified(m, config, checkpoints);
    }

    record Verified(Manifest manifest, VmConfig config, List<Checkpoint> checkpoints) {}

    /**
     * Puts a verified package's images into {@code diskDir} (which must not exist; created), copied — or moved, when
     * the package is a migration's staging area — with each child's parent locator pointing at its parent's new
     * place. Returns each source path's new place (shared images keep theirs). On failure {@code diskDir} is deleted.
     */
    static Map<String, String> placeDisks(Path pkg, Manifest m, Path diskDir, boolean move) throws IOException {
        Map<String, String> placed = new HashMap<>();
        boolean any = m.disks().stream().anyMatch(d -> d.file() != null);
        if (any) {
            Files.createDirectories(diskDir.getParent());
            Files.createDirectory(diskDir);
        }
        try {
            for (DiskEntry d : m.disks()) {
                if (d.file() == null) {
                    placed.put(d.source(), d.source());
                    continue;
                }
                Path to = diskDir.resolve(Path.of(d.file()).getFileName().toString());
                if (move) Files.move(inside(pkg, d.file()), to);
                else copy(inside(pkg, d.file()), to);
                placed.put(d.source(), to.toString());
            }
            for (DiskEntry d : m.disks())
                if (d.file() != null && d.parent() != null)
                    ParentSetter.setParent(Path.of(placed.get(d.source())), Path.of(placed.get(d.parent())), false);
        } catch (IOException | RuntimeException e) {
            if (any) deleteTree(diskDir);
            throw e;
        }
        return placed;
    }

    /** The disks with their paths as placed. */
    static List<Disk> relocate(List<Disk> disks, Map<String, String> placed) {
        return disks.stream()
                .map(d -> d.at(
                        placed.getOrDefault(DiskChains.normal(Path.of(d.path())).toString(), d.path()), d.readOnly()))
                .toList();
    }

    /** A path of the package, refused if it would lead outside it (a hostile manifest's "../"). */
    static Path inside(Path pkg, String rel) {
        Path root = DiskChains.normal(pkg);
        Path p = root.resolve(rel).normalize();
        if (!p.startsWith(root) || p.equals(root)) throw refused("file name " + rel + " leads outside the export");
        return p;
    }

    static ServiceException refused(String why) {
        return new ServiceException(422, "invalid_export", why);
    }

    static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace(java.io.File.separatorChar, '/');
    }

    static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }

    static long crc(Path p) throws IOException {
        CRC32C c = new CRC32C();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            for (int n; (n = in.read(buf)) > 0; ) c.update(buf, 0, n);
        }
        return c.getValue();
    }

    /** Streams {@code in} to {@code to}, returning the bytes' CRC-32C. */
    static long receive(InputStream in, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        CRC32C c = new CRC32C();
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(to)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                c.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return c.getValue();
    }

    static void writeAtomically(Path f, byte[] bytes) throws IOException {
        org.viridian.management.config.AtomicFiles.write(f, bytes);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
