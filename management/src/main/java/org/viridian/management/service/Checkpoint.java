package org.viridian.management.service;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.viridian.management.config.VmConfig;

/**
 * A standard checkpoint (Hyper-V's Checkpoint-VM): the VM's definition as it was, its disks frozen at that moment
 * ({@code config}'s disks are the images that stopped changing then; the VM went on writing to differencing children
 * of them), and, when the VM ran, its saved state. {@code parent}: the checkpoint the VM descended from when this one
 * was taken (null: the first), which makes the checkpoints a tree.
 */
public record Checkpoint(UUID id, String name, UUID parent, Instant created, VmConfig config, boolean hasState) {
    public Checkpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(config, "config");
        if (name.isBlank() || name.length() > 100)
            throw new IllegalArgumentException("a checkpoint name is 1 to 100 characters");
    }

    public Checkpoint withName(String n) {
        return new Checkpoint(id, n, parent, created, config, hasState);
    }

    public Checkpoint withConfig(VmConfig c) {
        return new Checkpoint(id, name, parent, created, c, hasState);
    }

    public Checkpoint withParent(UUID p) {
        return new Checkpoint(id, name, p, created, config, hasState);
    }
}
