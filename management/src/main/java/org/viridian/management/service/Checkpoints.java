package org.viridian.management.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.viridian.management.config.Disk;
import org.viridian.management.config.VmConfig;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.ops.CreateOptions;
import org.viridian.storage.ops.Images;
import org.viridian.storage.ops.Merger;
import org.viridian.storage.ops.ParentSetter;
import org.viridian.storage.ops.Progress;

/**
 * One VM's checkpoints on disk and what taking, applying and deleting one does to its disks. Layout, beside the VM's
 * definition: {@code checkpoints/<id>/checkpoint.json} (+ {@code saved-state.vmrs} when the VM ran) and {@code
 * checkpoints/current.json}, the checkpoint the VM's present descends from. Disks follow Hyper-V's scheme: taking a
 * checkpoint freezes each writable disk and gives the VM a differencing child of it ({@code <name>_<id8>.avhdx} beside
 * it); applying one gives the VM fresh children of the images it froze (the present's children are discarded);
 * deleting one merges the layer written after it into the images it froze. The caller holds the VM off while any of
 * this runs (a running VM is saved first and resumed after), so no disk is open.
 */
final class Checkpoints {
    static final String CURRENT = "current.json", CHECKPOINT = "checkpoint.json", STATE = "saved-state.vmrs";
    private static final Pattern CHILD_SUFFIX = Pattern.compile("(.*)_[0-9a-f]{8}$");
    private final Path dir;
    private final ObjectMapper json;

    Checkpoints(Path vmDir, ObjectMapper json) {
        this.dir = vmDir.resolve("checkpoints");
        this.json = json;
    }

    /** Every checkpoint, oldest first. */
    List<Checkpoint> list() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Checkpoint> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                Path f = p.resolve(CHECKPOINT);
                if (Files.exists(f)) out.add(json.readValue(f.toFile(), Checkpoint.class));
            }
        }
        out.sort(Comparator.comparing(Checkpoint::created).thenComparing(Checkpoint::name));
        return out;
    }

    /** The checkpoint whose id or (unique) name is {@code ref}. */
    Checkpoint find(String ref) throws IOException {
        List<Checkpoint> all = list();
        for (Checkpoint c : all) if (c.id().toString().equals(ref)) return c;
        List<Checkpoint> named = all.stream().filter(c -> c.name().equals(ref)).toList();
        if (named.size() == 1) return named.getFirst();
        if (named.isEmpty()) throw ServiceException.notFound("no checkpoint '" + ref + "'");
        throw ServiceException.conflict(
                "ambiguous_checkpoint", named.size() + " checkpoints are named '" + ref + "': give its id");
    }

    Optional<UUID> current() throws IOException {
        Path f = dir.resolve(CURRENT);
        if (!Files.exists(f)) return Optional.empty();
        String s = json.readTree(f.toFile()).path("current").asText("");
        return s.isEmpty() ? Optional.empty() : Optional.of(UUID.fromString(s));
    }

    private void setCurrent(UUID id) throws IOException {
        Files.createDirectories(dir);
        var node = json.createObjectNode();
        if (id != null) node.put("current", id.toString());
        write(dir.resolve(CURRENT), json.writeValueAsBytes(node));
    }

    Path statePath(Checkpoint c) {
        return dir.resolve(c.id().toString()).resolve(STATE);
    }

    /**
     * Takes a checkpoint of a VM that is off, or saved ({@code savedState}: its state, copied into the checkpoint):
     * freezes its disks and returns the VM's definition with each writable disk on a new child.
     */
    Taken take(VmConfig vm, String name, Path savedState, Instant now) throws IOException {
        for (Disk d : vm.disks()) requireDifferencingCapable(d);
        UUID id = UUID.randomUUID();
        Checkpoint c = new Checkpoint(id, name, current().orElse(null), now, vm, savedState != null);
        Path cdir = Files.createDirectories(dir.resolve(id.toString()));
        List<Path> made = new ArrayList<>();
        try {
            List<Disk> children = new ArrayList<>();
            for (Disk d : vm.disks()) {
                if (d.readOnly()) {
                    children.add(d);
                    continue;
                }
                Path child = childOf(Path.of(d.path()), id);
                createChild(child, Path.of(d.path()));
                made.add(child);
                children.add(d.at(child.toString(), false));
            }
            if (savedState != null) Files.copy(savedState, cdir.resolve(STATE));
            write(cdir.resolve(CHECKPOINT), json.writeValueAsBytes(c));
            setCurrent(id);
            return new Taken(c, vm.withDisks(children, now));
        } catch (IOException | RuntimeException e) {
            for (Path p : made) Files.deleteIfExists(p);
            deleteTree(cdir);
            throw e;
        }
    }

    record Taken(Checkpoint checkpoint, VmConfig vm) {}

    /**
     * Applies {@code c} to a VM that is off: its definition becomes the checkpoint's, on fresh children of the frozen
     * disks; the present's own children (written since the last checkpoint, part of no checkpoint) are deleted. Returns
     * the new definition and the saved state to resume from, if the checkpoint has one (copied: the checkpoint keeps
     * its own).
     */
    Applied apply(VmConfig present, Checkpoint c, Path vmSavedState, Instant now) throws IOException {
        List<Disk> children = new ArrayList<>();
        List<Path> made = new ArrayList<>();
        try {
            for (Disk d : c.config().disks()) {
                if (d.readOnly()) {
                    children.add(d);
                    continue;
                }
                Path child = childOf(Path.of(d.path()), UUID.randomUUID());
                createChild(child, Path.of(d.path()));
                made.add(child);
                children.add(d.at(child.toString(), false));
            }
            if (c.hasState()) Files.copy(statePath(c), vmSavedState, StandardCopyOption.REPLACE_EXISTING);
            else Files.deleteIfExists(vmSavedState);
        } catch (IOException | RuntimeException e) {
            for (Path p : made) Files.deleteIfExists(p);
            throw e;
        }
        for (Disk d : present.disks())
            if (!d.readOnly() && !frozen(Path.of(d.path()))) Files.deleteIfExists(Path.of(d.path()));
        setCurrent(c.id());
        VmConfig next = new VmConfig(
                present.id(),
                present.name(),
                c.config().cpus(),
                c.config().memoryBytes(),
                c.config().boot(),
                children,
                c.config().networkAdapters(),
                c.config().integrationServices(),
                present.notes(),
                present.created(),
                now,
                c.config().resources());
        return new Applied(next, c.hasState());
    }

    record Applied(VmConfig vm, boolean saved) {}

    /**
     * Deletes {@code c}, keeping every write: the layer written after it (each disk's child of the image it froze) is
     * merged into that image, which then takes the child's place — in the VM's definition when the child is the
     * present, in the later checkpoint that froze it otherwise. A frozen image with several children (the checkpoint
     * was applied more than once) cannot take a merge: only the checkpoint's record is deleted then, its images stay
     * as the other branches' base. Returns the VM's definition afterwards.
     */
    VmConfig delete(VmConfig present, Checkpoint c, Progress progress, Instant now) throws IOException {
        List<Checkpoint> all = list();
        List<Disk> presentDisks = new ArrayList<>(present.disks());
        List<Checkpoint> rewritten = new ArrayList<>();
        for (Disk frozen : c.config().disks()) {
            if (frozen.readOnly()) continue;
            Path base = Path.of(frozen.path());
            List<Path> children = childrenOf(base, present, all, c);
            if (children.size() != 1) continue; // several branches (or none) rest on it: left as it is
            Path child = children.getFirst();
            Merger.merge(child, progress);
            // Whatever rested on the child now rests on the merged image.
            for (Checkpoint later : all) {
                if (later.id().equals(c.id())) continue;
                VmConfig lc = later.config();
                List<Disk> ds = replace(lc.disks(), child, base);
                if (!ds.equals(lc.disks())) rewritten.add(later.withConfig(lc.withDisks(ds, lc.modified())));
                for (Disk d : lc.disks()) repoint(Path.of(d.path()), child, base);
            }
            for (Disk d : presentDisks) repoint(Path.of(d.path()), child, base);
            presentDisks = replace(presentDisks, child, base);
            Files.deleteIfExists(child);
        }
        for (Checkpoint r : rewritten)
            write(dir.resolve(r.id().toString()).resolve(CHECKPOINT), json.writeValueAsBytes(r));
        // Its children in the tree now descend from its parent.
        for (Checkpoint later : list()) {
            if (c.id().equals(later.parent()))
                write(
                        dir.resolve(later.id().toString()).resolve(CHECKPOINT),
                        json.writeValueAsBytes(later.withParent(c.parent())));
        }
        if (current().filter(c.id()::equals).isPresent()) setCurrent(c.parent());
        deleteTree(dir.resolve(c.id().toString()));
        return present.withDisks(presentDisks, now);
    }

    void rename(Checkpoint c, String name) throws IOException {
        write(dir.resolve(c.id().toString()).resolve(CHECKPOINT), json.writeValueAsBytes(c.withName(name)));
    }

    /** The differencing images whose parent is {@code base}, among the present's disks and the other checkpoints'. */
    private static List<Path> childrenOf(Path base, VmConfig present, List<Checkpoint> all, Checkpoint self)
            throws IOException {
        List<Path> candidates = new ArrayList<>();
        present.disks().forEach(d -> candidates.add(Path.of(d.path())));
        for (Checkpoint o : all)
            if (!o.id().equals(self.id())) o.config().disks().forEach(d -> candidates.add(Path.of(d.path())));
        List<Path> out = new ArrayList<>();
        for (Path p : candidates.stream().distinct().toList())
            if (DiskChains.parentOf(p).filter(q -> same(q, base)).isPresent()) out.add(p);
        return out;
    }

    private static void repoint(Path image, Path from, Path to) throws IOException {
        if (DiskChains.parentOf(image).filter(q -> same(q, from)).isPresent()) ParentSetter.setParent(image, to, true);
    }

    private static boolean same(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    private static List<Disk> replace(List<Disk> disks, Path from, Path to) {
        return disks.stream()
                .map(d -> same(Path.of(d.path()), from) ? d.at(to.toString(), d.readOnly()) : d)
                .toList();
    }

    /** Whether a checkpoint froze this image (then it is not the present's alone). */
    private boolean frozen(Path image) throws IOException {
        for (Checkpoint c : list()) for (Disk d : c.config().disks()) if (same(Path.of(d.path()), image)) return true;
        return false;
    }

    private static void requireDifferencingCapable(Disk d) throws IOException {
        if (d.readOnly()) return;
        ImageFormat f = Images.detect(Path.of(d.path()));
        if (f != ImageFormat.VHD && f != ImageFormat.VHDX)
            throw ServiceException.conflict(
                    "checkpoint_unsupported",
                    "disk " + d.path() + " is " + f.displayName()
                            + ": checkpoints need VHD or VHDX disks (convert it)");
    }

    /** {@code <stem>_<id8>.avhdx} (or .avhd) beside the parent; a child's own suffix is replaced, not stacked. */
    static Path childOf(Path parent, UUID id) {
        String file = parent.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String stem = dot < 0 ? file : file.substring(0, dot);
        String ext = dot < 0 ? "" : file.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
        var m = CHILD_SUFFIX.matcher(stem);
        if (m.matches()) stem = m.group(1);
        String childExt = ext.startsWith("vhdx") || ext.equals("avhdx") ? "avhdx" : "avhd";
        return parent.resolveSibling(stem + "_" + id.toString().substring(0, 8) + "." + childExt);
    }

    private static void createChild(Path child, Path parent) throws IOException {
        ImageFormat f = Images.detect(parent);
        Images.create(child, new CreateOptions(f, ImageType.DIFFERENCING, 0, 0, parent));
    }

    private static void write(Path f, byte[] bytes) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
