package org.viridian.management.service;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.viridian.management.config.AtomicFiles;
import org.viridian.management.config.Json;
import org.viridian.management.jobs.Job;

/**
 * The destination's half of quick migration. Files arrive in {@code <state>/incoming/<move-id>/} (the
 * {@link VmPackage} layout); the commit registers the VM from there in one rename whose directory holds {@value
 * #MIGRATED_IN} (so "committed" survives a crash with the VM), records the outcome in {@code
 * <state>/migrations/<move-id>.json}, and resumes the VM. An abort is final once answered: a move aborted (or never
 * seen) is recorded so a late commit is refused; a committed one answers "committed". Commit and abort are serialized.
 */
public final class IncomingMigrations {
    static final String MIGRATED_IN = "migrated-in.json";
    static final String UNSEEN_PROPERTY = "viridian.test.unseenDir";
    /** Tests only: "registered" parks a commit at its commit point, before the outcome is recorded or answered. */
    static final String HALT_PROPERTY = "viridian.test.haltCommit";

    private static final Duration RESUME = Duration.ofSeconds(60);
    private final VmService vms;
    private final Path incoming, records;

    public IncomingMigrations(VmService vms) {
        this.vms = vms;
        this.incoming = vms.stateDir().resolve("incoming");
        this.records = vms.stateDir().resolve("migrations");
    }

    /** An offer: refused (409) if the VM's id or name is taken here or the move was seen; else the shared images. */
    public synchronized MigrationMessages.Accepted offer(MigrationMessages.Offer o) throws IOException {
        if (recorded(o.moveId()) != null)
            throw ServiceException.conflict("move_seen", "move " + o.moveId() + " was already decided here");
        vms.requireArrivable(o.vmId(), o.vmName());
        Path dir = incoming.resolve(o.moveId().toString());
        VmPackage.deleteTree(dir);
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("offer.json"), Json.mapper().writeValueAsBytes(o));
        List<String> shared = new ArrayList<>();
        for (String image : o.images()) {
            Path p = Path.of(image);
            MigrationMessages.Probe probe = o.probes().stream()
                    .filter(x -> Path.of(x.path()).getParent().equals(p.getParent()))
                    .findFirst()
                    .orElse(null);
            if (probe != null && sees(probe) && Files.isRegularFile(p)) shared.add(image);
        }
        return new MigrationMessages.Accepted(shared);
    }

    private static boolean sees(MigrationMessages.Probe probe) {
        // Tests only: one host plays two that do not share this directory.
        String unseen = System.getProperty(UNSEEN_PROPERTY);
        if (unseen != null && Path.of(probe.path()).startsWith(Path.of(unseen))) return false;
        try {
            return Files.readString(Path.of(probe.path())).equals(probe.content());
        } catch (IOException | RuntimeException x) {
            return false;
        }
    }

    /** One file of the move, streamed into the staging area. */
    public void receive(UUID moveId, String rel, InputStream body) throws IOException {
        Path dir = staged(moveId);
        VmPackage.receive(body, VmPackage.inside(dir, rel));
    }

    /**
     * Registers the VM (the commit point), then resumes it if it ran on the source. A failed resume leaves it saved
     * here: committed all the same (one runnable copy, here).
     */
    public MigrationMessages.Outcome commit(UUID moveId, VmPackage.Manifest m)
            throws IOException, InterruptedException {
        boolean resume;
        VmView view;
        synchronized (this) {
            MigrationMessages.Outcome seen = recorded(moveId);
            if (seen != null) {
                if (seen.state().equals("committed")) return seen;
                throw ServiceException.conflict("move_aborted", "move " + moveId + " was aborted");
            }
            Path dir = staged(moveId);
            MigrationMessages.Offer offer =
                    Json.mapper().readValue(dir.resolve("offer.json").toFile(), MigrationMessages.Offer.class);
            resume = offer.resume();
            AtomicFiles.write(dir.resolve(VmPackage.MANIFEST), Json.mapper().writeValueAsBytes(m));
            VmPackage.Verified v = VmPackage.verify(dir, Json.mapper());
            if (!v.config().id().equals(offer.vmId()))
                throw VmPackage.refused("the VM committed is not the VM offered");
            view = vms.register(dir, v, null, false, true, moveId);
            if ("registered".equals(System.getProperty(HALT_PROPERTY))) Thread.sleep(Long.MAX_VALUE); // tests only
            record(new MigrationMessages.Outcome(
                    moveId, "committed", view.config().id(), null, null, "registered"));
            VmPackage.deleteTree(dir);
        }
        if (!resume)
            return new MigrationMessages.Outcome(
                    moveId,
                    "committed",
                    view.config().id(),
                    view.status().state().wire(),
                    null,
                    "registered here");
        long t = System.nanoTime();
        Job j = vms.startAndWait(view.config().id(), RESUME);
        long restore = (System.nanoTime() - t) / 1_000_000;
        VmView now = vms.get(view.config().id().toString());
        return new MigrationMessages.Outcome(
                moveId, "committed", now.config().id(), now.status().state().wire(), restore, j.message());
    }

    /** What this host did with a move: committed, aborted, staged (files arriving) or unknown. */
    public synchronized MigrationMessages.Outcome status(UUID moveId) throws IOException {
        MigrationMessages.Outcome seen = recorded(moveId);
        if (seen != null) return seen;
        if (committedVm(moveId) != null)
            return new MigrationMessages.Outcome(moveId, "committed", committedVm(moveId), null, null, "registered");
        String state = Files.isDirectory(incoming.resolve(moveId.toString())) ? "staged" : "unknown";
        return new MigrationMessages.Outcome(moveId, state, null, null, null, state);
    }

    /** Aborts a move not committed here (its files are dropped, a later commit refused); answers how it ended. */
    public synchronized MigrationMessages.Outcome abort(UUID moveId) throws IOException {
        MigrationMessages.Outcome now = status(moveId);
        if (now.state().equals("committed") || now.state().equals("aborted")) return now;
        MigrationMessages.Outcome aborted =
                new MigrationMessages.Outcome(moveId, "aborted", null, null, null, "aborted by the source");
        record(aborted);
        VmPackage.deleteTree(incoming.resolve(moveId.toString()));
        return aborted;
    }

    private Path staged(UUID moveId) {
        Path dir = incoming.resolve(moveId.toString());
        if (!Files.isDirectory(dir)) throw ServiceException.notFound("no move " + moveId + " in progress here");
        return dir;
    }

    private MigrationMessages.Outcome recorded(UUID moveId) throws IOException {
        Path f = records.resolve(moveId + ".json");
        if (!Files.exists(f)) {
            // Registered but its record not written yet when a crash came: the VM's own mark says it.
            UUID vm = committedVm(moveId);
            return vm == null ? null : new MigrationMessages.Outcome(moveId, "committed", vm, null, null, "registered");
        }
        return Json.mapper().readValue(f.toFile(), MigrationMessages.Outcome.class);
    }

    private void record(MigrationMessages.Outcome o) throws IOException {
        Files.createDirectories(records);
        AtomicFiles.write(records.resolve(o.moveId() + ".json"), Json.mapper().writeValueAsBytes(o));
    }

    /** The VM registered by this move, found by the mark its directory carries; null if none. */
    private UUID committedVm(UUID moveId) throws IOException {
        Path vmsDir = vms.stateDir().resolve("vms");
        if (!Files.isDirectory(vmsDir)) return null;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(vmsDir)) {
            for (Path d : dirs) {
                Path f = d.resolve(MIGRATED_IN);
                if (d.getFileName().toString().startsWith(".") || !Files.isRegularFile(f)) continue;
                Map<?, ?> mark = Json.mapper().readValue(f.toFile(), Map.class);
                if (moveId.toString().equals(mark.get("moveId")))
                    return UUID.fromString(d.getFileName().toString());
            }
        }
        return null;
    }
}
