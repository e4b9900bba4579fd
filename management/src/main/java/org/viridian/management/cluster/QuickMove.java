package org.viridian.management.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;
import org.viridian.management.state.VmState;

/**
 * Quick migration between cluster members (Hyper-V's quick migration of a clustered VM): the source saves the running
 * VM into the shared storage's moves directory and powers it off; the target, once its claim holds, restores it from
 * there and the guest runs on where it stopped. The VM is never running on both: the save ends before the source gives
 * up ownership, and the restore starts only after the target's claim (ClusterService's epoch check). A VM that refuses
 * its save (a device whose state is not saved yet) moves cold instead; a state file the target cannot restore (damaged,
 * not the one the handoff names) is discarded and the VM boots afresh there. Either way the record says so.
 */
final class QuickMove implements PlannedMove {
    private static final System.Logger LOG = System.getLogger(QuickMove.class.getName());
    /** Where the state files of moves in flight lie, under the shared storage's root. */
    static final String DIR = ".viridian-moves";

    private final VmService vms;
    private final PlannedMove cold;
    private final Path dir;
    private final String host;
    private final Clock clock;

    QuickMove(VmService vms, PlannedMove cold, Path sharedStorage, String host, Clock clock) {
        this.vms = vms;
        this.cold = cold;
        this.dir = sharedStorage.resolve(DIR);
        this.host = host;
        this.clock = clock;
    }

    @Override
    public Handoff leave(UUID vm, long epoch) throws Exception {
        Optional<VmView> v = vms.find(vm);
        VmState s = v.map(x -> x.status().state()).orElse(VmState.OFF);
        if (s != VmState.RUNNING && s != VmState.PAUSED) return cold.leave(vm, epoch);
        Files.createDirectories(dir);
        String name = vm + "-e" + epoch + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".vmrs";
        Path file = dir.resolve(name);
        var leftAt = clock.instant();
        long t0 = System.nanoTime();
        try {
            vms.saveForMove(vm, file);
        } catch (Exception | Error x) {
            Files.deleteIfExists(file);
            String why = "it could not be saved (" + message(x) + ")";
            LOG.log(System.Logger.Level.WARNING, "cluster: VM " + vm + " moves cold: " + why);
            Handoff h = cold.leave(vm, epoch);
            return new Handoff.Cold(h.from(), h.leftAt(), why);
        }
        long saved = (System.nanoTime() - t0) / 1_000_000;
        Handoff.Quick q = new Handoff.Quick(host, leftAt, vm, epoch, name, Files.size(file), crc32c(file));
        LOG.log(
                System.Logger.Level.INFO,
                "cluster: VM " + vm + " saved for its move in " + saved + " ms (" + q.size() / (1 << 20) + " MiB)");
        return q;
    }

    @Override
    public LastMove arrive(UUID vm, Handoff handoff) throws Exception {
        if (!(handoff instanceof Handoff.Quick q)) return cold.arrive(vm, handoff);
        Path file = null;
        try {
            q.requireFor(vm);
            file = dir.resolve(q.file());
            verify(q, file);
            vms.startFromMove(vm, file);
            long pause = Duration.between(q.leftAt(), clock.instant()).toMillis();
            LOG.log(
                    System.Logger.Level.INFO,
                    "cluster: VM " + vm + " resumed here from '" + q.from() + "' (quick migration, paused " + pause
                            + " ms)");
            return new LastMove(LastMove.QUICK, q.from(), host, clock.instant(), pause, null);
        } catch (Exception x) {
            String why = "its saved state could not be restored (" + message(x) + "): booted afresh";
            LOG.log(System.Logger.Level.WARNING, "cluster: VM " + vm + ": " + why);
            LastMove m = cold.arrive(vm, new Handoff.Cold(q.from(), q.leftAt(), why));
            return new LastMove(LastMove.COLD, q.from(), host, m.at(), null, why);
        } finally {
            // Spent (restored) or refused: either way no host acts on it again (the claim cleared the handoff).
            if (file != null) Files.deleteIfExists(file);
        }
    }

    /** The file is the one the handoff names: its size and CRC-32C, before anything is built from it. */
    private static void verify(Handoff.Quick q, Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("the state file " + q.file() + " is not there");
        long size = Files.size(file);
        if (size != q.size())
            throw new IOException("the state file has " + size + " bytes, the handoff says " + q.size());
        String crc = crc32c(file);
        if (!crc.equals(q.crc32c()))
            throw new IOException("the state file's CRC-32C is " + crc + ", the handoff says " + q.crc32c());
    }

    static String crc32c(Path file) throws IOException {
        CRC32C c = new CRC32C();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) c.update(buf, 0, n);
        }
        return HexFormat.of().toHexDigits((int) c.getValue());
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
