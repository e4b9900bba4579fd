package org.viridian.management.service;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.viridian.management.state.VmState;

/**
 * The quick-migration protocol between two services' REST APIs (/api/v1/migrations), one record per message. The
 * source offers the VM ({@link Offer}), the destination answers which images it already sees ({@link Accepted}), the
 * source uploads the rest with the VM's files and commits with the {@link VmPackage.Manifest}; the destination answers
 * the {@link Outcome}. {@link Marker} is the source's own persisted record while the destination decides.
 */
public final class MigrationMessages {
    private MigrationMessages() {}

    /**
     * A file the source wrote into one of the directories its images are in, with random content: the destination
     * sees the same storage there exactly when it reads the same content at the same path.
     */
    public record Probe(String path, String content) {}

    /** {@code resume}: the VM ran on the source, so it is resumed once registered. */
    public record Offer(
            UUID moveId, UUID vmId, String vmName, boolean resume, List<String> images, List<Probe> probes) {
        public Offer {
            Objects.requireNonNull(moveId, "moveId");
            Objects.requireNonNull(vmId, "vmId");
            Objects.requireNonNull(vmName, "vmName");
            images = images == null ? List.of() : List.copyOf(images);
            probes = probes == null ? List.of() : List.copyOf(probes);
        }
    }

    /** The images (by source path) the destination sees as they are: they stay where they are. */
    public record Accepted(List<String> shared) {
        public Accepted {
            shared = shared == null ? List.of() : List.copyOf(shared);
        }
    }

    /** What the destination knows of a move: {@code staged}, {@code committed}, {@code aborted} or {@code unknown}. */
    public record Outcome(UUID moveId, String state, UUID vmId, String vmState, Long restoreMillis, String message) {}

    /** The source's record of a move in progress, beside the VM's definition ({@value #FILE}). */
    public record Marker(
            UUID moveId, String destination, String token, String tlsTrust, VmState before, Instant started) {
        public static final String FILE = "migration.json";
    }
}
