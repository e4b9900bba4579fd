package org.viridian.management.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.viridian.management.config.VmConfig;
import org.viridian.management.jobs.JobManager;
import org.viridian.management.state.VmState;

/**
 * The source's half of one quick migration of a VM that is saved or off by now: mark it migrating, offer it, upload
 * what the destination lacks, commit, and remove it here once the destination has it. See {@link VmService#move}.
 */
final class QuickMigration {
    private static final System.Logger LOG = System.getLogger(QuickMigration.class.getName());
    /** Tests only: stop the job for good at a step ("marked": before the commit; "committed": after it). */
    static final String HALT_PROPERTY = "viridian.test.haltMove";

    private final VmService service;
    private final VmEntry e;
    private final MigrationClient client;
    private final VmService.MoveTarget to;
    private final boolean resume;
    private final JobManager.Progress p;

    QuickMigration(
            VmService service,
            VmEntry e,
            MigrationClient client,
            VmService.MoveTarget to,
            boolean resume,
            JobManager.Progress p) {
        this.service = service;
        this.e = e;
        this.client = client;
        this.to = to;
        this.resume = resume;
        this.p = p;
    }

    /** {@code t0}: when the guest stopped running (the save began); {@code saved}: when its state was on disk. */
    String run(long t0, long saved) throws Exception {
        VmConfig c;
        VmState before;
        synchronized (e) {
            c = e.config;
            before = e.status.state();
        }
        UUID moveId = UUID.randomUUID();
        MigrationMessages.Marker marker = new MigrationMessages.Marker(
                moveId, to.url(), to.token(), to.tlsTrust(), before, java.time.Instant.now());
        service.markMigrating(e, marker);
        halt("marked");
        Path vmDir = service.vmDir(e);
        List<Path> images = DiskChains.imagesOf(VmPackage.allDisks(c, service.checkpointList(e)));
        Map<Path, MigrationMessages.Probe> probes = new HashMap<>();
        boolean committing = false;
        try {
            writeProbes(moveId, images, probes);
            p.report(50, "offering the VM to " + to.url());
            MigrationMessages.Accepted accepted = client.offer(new MigrationMessages.Offer(
                    moveId,
                    c.id(),
                    c.name(),
                    resume,
                    images.stream().map(Path::toString).toList(),
                    List.copyOf(probes.values())));
            Set<String> shared = Set.copyOf(accepted.shared());
            List<Path> copied =
                    images.stream().filter(i -> !shared.contains(i.toString())).toList();
            Map<Path, String> names = VmPackage.packageNames(copied);
            List<VmPackage.FileEntry> files = new ArrayList<>();
            long bytes = 0;
            for (String f : VmPackage.vmFiles(vmDir)) {
                files.add(VmPackage.entry(vmDir, f));
                client.upload(moveId, f, vmDir.resolve(f));
            }
            for (Path image : copied) {
                p.report(60, "copying disk image " + image + " (the destination does not see it)");
                String rel = names.get(image);
                files.add(new VmPackage.FileEntry(rel, Files.size(image), VmPackage.crc(image)));
                client.upload(moveId, rel, image);
            }
            for (VmPackage.FileEntry f : files) bytes += f.size();
            List<VmPackage.DiskEntry> disks = new ArrayList<>();
            for (Path image : images) {
                Path parent = DiskChains.parentOf(image).map(DiskChains::normal).orElse(null);
                disks.add(new VmPackage.DiskEntry(
                        image.toString(), names.get(image), parent == null ? null : parent.toString()));
            }
            VmPackage.Manifest m = new VmPackage.Manifest(
                    VmPackage.VERSION,
                    c.id(),
                    c.name(),
                    Files.exists(vmDir.resolve(VmService.SAVED_STATE)),
                    files,
                    disks);
            long sent = System.nanoTime();
            p.report(80, "committing: the destination registers " + (resume ? "and resumes " : "") + "the VM");
            committing = true;
            MigrationMessages.Outcome o = client.commit(moveId, m);
            halt("committed");
            service.removeMigrated(e, to.url());
            long done = System.nanoTime();
            String how = shared.size() + " disk image(s) on shared storage, " + copied.size() + " copied; "
                    + bytes / (1 << 20) + " MiB sent";
            if (!resume) return "VM '" + c.name() + "' moved to " + to.url() + " (" + how + "); " + o.message();
            return "VM '" + c.name() + "' moved to " + to.url() + ", " + o.vmState() + " there; guest-visible pause "
                    + ms(done - t0) + " ms (save " + ms(saved - t0) + " ms, transfer " + ms(sent - saved)
                    + " ms, commit and restore " + ms(done - sent) + " ms, restore alone "
                    + (o.restoreMillis() == null ? "?" : o.restoreMillis()) + " ms); " + how;
        } catch (Exception x) {
            if (!committing) {
                // Nothing was committed: take the VM back (the abort tells the destination to drop what it staged).
                abortQuietly(moveId);
                service.rollBackMigration(e, marker, service.message(x, true));
                throw x;
            }
            // The commit failed or its answer was lost: the destination decides (its abort answer is final), now or
            // when it can be reached.
            if (!resolve(service, e)) {
                service.settleLater(List.of(e));
                throw new IOException("the destination did not answer the commit (" + service.message(x, true)
                        + "); VM '" + c.name() + "' stays migrating here until it does, then it is removed here or"
                        + " back, saved");
            }
            if (service.entryOf(c.id()) == null)
                return "VM '" + c.name() + "' moved to " + to.url() + " (the commit's answer was lost: "
                        + service.message(x, true) + ")";
            throw x;
        } finally {
            for (Path probe : probes.keySet()) Files.deleteIfExists(probe);
        }
    }

    private void abortQuietly(UUID moveId) {
        try {
            client.abort(moveId);
        } catch (Exception x) {
            LOG.log(System.Logger.Level.INFO, "abort of move " + moveId + " not delivered: " + x.getMessage());
        }
    }

    /** A probe file in each directory the images are in (where this host may write: elsewhere, they are copied). */
    private static void writeProbes(UUID moveId, List<Path> images, Map<Path, MigrationMessages.Probe> out) {
        SecureRandom r = new SecureRandom();
        for (Path dir : images.stream().map(Path::getParent).distinct().toList()) {
            Path f = dir.resolve(".viridian-probe-" + moveId);
            byte[] b = new byte[16];
            r.nextBytes(b);
            String content = HexFormat.of().formatHex(b);
            try {
                Files.writeString(f, content);
                out.put(f, new MigrationMessages.Probe(f.toString(), content));
            } catch (IOException x) {
                LOG.log(System.Logger.Level.DEBUG, "no probe in " + dir + ": " + x.getMessage());
            }
        }
    }

    /**
     * Asks a VM's destination how its move ended (the abort is the question: it is refused once committed), and acts:
     * committed → removed here; aborted → back to saved or off. False when the destination cannot be reached.
     */
    static boolean resolve(VmService service, VmEntry e) {
        MigrationMessages.Marker m;
        try {
            m = service.marker(e);
        } catch (IOException x) {
            return true; // no marker (any more): nothing to settle
        }
        try {
            MigrationClient c = new MigrationClient(
                    m.destination(), m.token(), m.tlsTrust(), org.viridian.management.config.Json.mapper());
            MigrationMessages.Outcome o = c.abort(m.moveId());
            if ("committed".equals(o.state())) service.removeMigrated(e, m.destination());
            else service.rollBackMigration(e, m, "the destination did not take it (" + o.state() + ")");
            return true;
        } catch (MigrationClient.Refused x) {
            LOG.log(System.Logger.Level.WARNING, "move " + m.moveId() + ": " + x.getMessage());
            return false;
        } catch (IOException | InterruptedException | RuntimeException x) {
            return false;
        }
    }

    private static void halt(String step) throws InterruptedException {
        if (step.equals(System.getProperty(HALT_PROPERTY))) Thread.sleep(Long.MAX_VALUE);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
