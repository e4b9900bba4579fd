package org.viridian.management.cluster;

import java.util.UUID;

/**
 * How a planned move (drain, failback, move) takes a running VM from its owner to another host. Today: {@link #COLD},
 * a clean shutdown here and a fresh start there. The seam for quick migration (save/restore, being built): an
 * implementation whose {@code leave} saves the VM's state to the shared storage and names it in the handoff, and
 * whose {@code arrive} restores it; the cluster records the handoff in the VM's record between the two hosts.
 */
public interface PlannedMove {
    /** The handoff of a VM that was shut down: the target starts it from its definition. */
    String COLD = "cold";

    /** Stops {@code vm} here for the move; returns the handoff the target gets. */
    String leave(UUID vm) throws Exception;

    /** Starts {@code vm} here from the handoff its previous owner left. */
    void arrive(UUID vm, String handoff) throws Exception;
}
