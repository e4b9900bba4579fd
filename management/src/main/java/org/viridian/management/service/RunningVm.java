package org.viridian.management.service;

import java.util.concurrent.CompletableFuture;

/** A VM the engine has started: what the service can do with it until {@link #exit()} completes. */
public interface RunningVm {
    /** Stops every virtual processor; returns once they are parked. */
    void pause() throws InterruptedException;

    void resume();

    /** Hard power-off, as pulling the plug; {@link #exit()} completes soon after. */
    void powerOff(String why);

    /**
     * Asks the guest to shut itself down. Returns false when this VM has no channel for it (no shutdown integration
     * service, no ACPI power button yet): the caller then falls back to {@link #powerOff}.
     */
    boolean requestShutdown();

    /** Bytes typed at the serial console. */
    void sendInput(byte[] bytes);

    CompletableFuture<VmExit> exit();

    /** What the integration services know of the guest now; must not block (read on every view of the VM). */
    GuestIntegration integration();

    /** Frees the VM's resources once it has exited. */
    void close();
}
