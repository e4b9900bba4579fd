package org.viridian.management.cluster;

import java.util.UUID;

/**
 * How a planned move (drain, failback, move) takes a running VM from its owner to another host: {@link
 * ClusterService.ColdMove} (a clean shutdown here, a fresh start there) or {@link QuickMove} (saved here to the shared
 * storage, restored there). The cluster keeps the {@link Handoff} in the VM's record between the two hosts: the source
 * writes it in the transaction that gives up ownership, the target's claim clears it, so it is acted on once.
 */
public interface PlannedMove {
    /** Stops {@code vm} here for the move ({@code epoch}: this host's ownership); returns what the target gets. */
    Handoff leave(UUID vm, long epoch) throws Exception;

    /**
     * Starts {@code vm} here (it is defined here, off) from the handoff its previous owner left; returns how the move
     * went (its pause may be filled in once the VM runs).
     */
    LastMove arrive(UUID vm, Handoff handoff) throws Exception;
}
