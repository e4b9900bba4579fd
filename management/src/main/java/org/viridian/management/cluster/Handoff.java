package org.viridian.management.cluster;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * How a planned move's source left a VM for its target: kept in the VM's cluster record between the source's release
 * and the target's claim, and cleared by the claim (so only one host ever acts on it).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "how")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Handoff.Cold.class, name = "cold"),
    @JsonSubTypes.Type(value = Handoff.Quick.class, name = "quick")
})
public sealed interface Handoff {
    /** The host the VM left. */
    String from();

    /** When the guest stopped running there (the source's clock): where the move's pause begins. */
    Instant leftAt();

    /**
     * Shut down (or powered off) there, to be started afresh from its definition; {@code why}: why it did not move by
     * quick migration (null where the source has no quick path or nothing ran).
     */
    record Cold(String from, Instant leftAt, String why) implements Handoff {}

    /**
     * Saved there (quick migration): the guest's whole state in {@code file}, a plain name in the shared storage's
     * moves directory, written for {@code vm} at owner epoch {@code epoch}; {@code size} and {@code crc32c} (hex) are
     * the file's, so the target refuses a file that is not the one the source wrote (another VM's, an older move's, a
     * damaged one) before it builds anything from it.
     */
    record Quick(String from, Instant leftAt, UUID vm, long epoch, String file, long size, String crc32c)
            implements Handoff {
        private static final Pattern NAME = Pattern.compile("[0-9a-f-]{36}-e\\d{1,19}-[0-9a-f]{1,16}\\.vmrs");

        /** Checks the fields a target acts on: the VM is {@code id} and the file a plain name of the moves directory. */
        void requireFor(UUID id) {
            if (!id.equals(vm)) throw new IllegalArgumentException("the handoff is of VM " + vm + ", not of " + id);
            if (file == null || !NAME.matcher(file).matches() || !file.startsWith(vm + "-e" + epoch + "-"))
                throw new IllegalArgumentException("the handoff names no state file of this VM's move: " + file);
            if (size <= 0 || crc32c == null || !crc32c.matches("[0-9a-f]{1,8}"))
                throw new IllegalArgumentException("the handoff has no size or checksum of its state file");
        }
    }
}
