package org.viridian.management.service;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Optional;
import org.viridian.management.config.VmConfig;

/** Builds and starts VMs from their configuration. {@link KvmEngine} is the real one. */
public interface VmEngine {
    /** Why this host cannot start VMs, or empty when it can. */
    Optional<String> unavailableReason();

    /** Builds the VM, starts its processors, and sends its serial console output to {@code console}. */
    RunningVm launch(VmConfig config, OutputStream console) throws IOException;

    /**
     * The VM as an earlier service left it: still running (its console's scrollback written to {@code console}, its
     * output following), or ended meanwhile. Empty: nothing of it runs (engines whose VMs end with the service).
     */
    default java.util.Optional<Recovered> recover(VmConfig config, OutputStream console) throws IOException {
        return Optional.empty();
    }

    /**
     * Builds the VM from the state {@link RunningVm#save} left in {@code savedState} and runs it on from there. The
     * file is only read: a state that is refused (corrupt, foreign) leaves it and the VM's disks as they were.
     */
    default RunningVm restore(VmConfig config, OutputStream console, java.nio.file.Path savedState) throws IOException {
        throw new UnsupportedOperationException("this engine cannot restore a saved VM");
    }

    /** The service has loaded its VMs (and reattached their workers): the engine may prepare for the next start. */
    default void ready() {}

    /**
     * Exercises the engine's build and restore paths on a throwaway VM of {@code like}'s kind, so the first real one
     * runs warm (a worker started ahead of its VM does this while it waits). Engines with nothing to warm do nothing.
     */
    default void warmUp(VmConfig like) throws IOException, InterruptedException {}

    /**
     * A clustered VM must power itself off at {@code deadlineNanos} (this machine's monotonic clock, System.nanoTime:
     * CLOCK_MONOTONIC, the same in every process) unless renewed; Long.MAX_VALUE: no deadline. Engines whose VMs
     * outlive the service pass it on, so a VM whose service was killed stops before its cluster lease could expire.
     */
    default void lease(java.util.UUID vm, long deadlineNanos) {}

    /** Whether running VMs outlive the service (worker processes): a closing service then leaves them running. */
    /** The service is closing (its VMs already told): what the engine holds for itself goes. */
    default void close() {}

    default boolean vmsOutliveService() {
        return false;
    }
}
