package org.viridian.management.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.viridian.management.config.AtomicFiles;

/**
 * Each VM's last known state in {@code <vm-dir>/status.json}, written atomically on every transition, so that a
 * service that died with VMs running can say so when it comes back ({@link #recover}).
 */
public final class StatusStore {
    public static final String STATUS = "status.json";
    private final ObjectMapper json;

    public StatusStore(ObjectMapper json) {
        this.json = json;
    }

    public void save(Path vmDir, VmStatus s) throws IOException {
        if (!Files.isDirectory(vmDir)) return; // deleted meanwhile
        AtomicFiles.write(vmDir.resolve(STATUS), json.writeValueAsBytes(s));
    }

    /**
     * The state a VM has after a service (re)start when nothing of it runs any more: one that was active when the
     * service ended is off now, reported as such with a last exit saying why. (A VM whose worker process still runs is
     * adopted instead, see VmService.load.)
     */
    public VmStatus recover(Path vmDir, Instant now) {
        Path f = vmDir.resolve(STATUS);
        VmStatus s;
        try {
            if (!Files.exists(f)) return VmStatus.off(now);
            s = json.readValue(f.toFile(), VmStatus.class);
        } catch (IOException | RuntimeException e) {
            return new VmStatus(
                    VmState.OFF,
                    now,
                    new LastExit(
                            "state unknown after a service restart ("
                                    + e.getMessage().lines().findFirst().orElse("") + ")",
                            null,
                            null,
                            now));
        }
        return switch (s.state()) {
            case OFF, SAVED, CRASHED, MIGRATING -> s;
            default ->
                new VmStatus(
                        VmState.OFF,
                        now,
                        new LastExit(
                                "service restarted while the VM was "
                                        + s.state().wire() + ", and no worker process of it was left: the VM"
                                        + " ended with the old service or with the host",
                                null,
                                null,
                                now));
        };
    }
}
