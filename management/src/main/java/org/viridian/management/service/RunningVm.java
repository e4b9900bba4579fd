package org.viridian.management.service;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.viridian.management.config.NetworkAdapter;

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

    /**
     * The process the VM runs in, where it has one of its own (a worker process): its resource controls apply to that
     * process's cgroup. Empty where the VM runs inside the service's process.
     */
    default java.util.OptionalLong processId() {
        return java.util.OptionalLong.empty();
    }

    /**
     * Saves the whole VM (processors, devices, memory) to {@code file}, letting its disks finish what is in flight
     * first; the VM is left paused (the caller powers it off, as Save-VM does). On failure the VM runs on as it was
     * and no file is left. Returns the file's size.
     */
    default long save(java.nio.file.Path file) throws IOException, InterruptedException {
        throw new UnsupportedOperationException("this engine cannot save a VM");
    }

    /** Frees the VM's resources once it has exited. */
    void close();

    /** Adds a disk to the running VM (hot add); engines that cannot say so. */
    default void attachDisk(org.viridian.management.config.Disk disk) throws IOException {
        throw new UnsupportedOperationException("this engine cannot add disks to a running VM");
    }

    /**
     * Holds the running VM's disk in {@code disk.slot()} to {@code disk}'s IOPS/bandwidth limits from now on (what of
     * an attached disk may change while it runs); IllegalArgumentException when no disk is there.
     */
    default void updateDisk(org.viridian.management.config.Disk disk) throws IOException {
        throw new UnsupportedOperationException("this engine cannot change the disks of a running VM");
    }

    /** Every VP's flight recorder now, in time order (the last exits and host actions); must not block. */
    default java.util.List<RecorderEntry> flightRecorder() {
        throw new UnsupportedOperationException("this engine keeps no flight recorder");
    }

    /**
     * What the VM has used and done so far (CPU time and exits per VP, hypercalls, VMBus signals, disk and network
     * I/O, memory); must not block for long (read by every scrape of /metrics and every 2 s by a VM's web page).
     */
    default VmMetrics metrics() {
        throw new UnsupportedOperationException("this engine keeps no metrics");
    }

    /**
     * The guest's screen as a PNG (its synthetic video device's picture), or an empty array while the guest has not
     * given it VRAM and a mode yet; must not block for long.
     */
    default byte[] screenshot() {
        throw new UnsupportedOperationException("this engine has no graphical console");
    }

    /**
     * What changed on the guest's screen since the last call (the whole screen the first time and after a mode change),
     * about {@code pixelBudget} pixels at most; null while the guest has no picture. One caller: the service's copy of
     * the screen (ScreenCopy), which every viewer reads; {@code all}: the whole screen, whatever was handed on before.
     */
    default org.viridian.devices.video.ScreenTracker.Changes screenChanges(long pixelBudget, boolean all) {
        throw new UnsupportedOperationException("this engine has no graphical console");
    }

    /** Key events for the guest's synthetic keyboard; dropped while its driver is not ready. */
    default void keys(java.util.List<org.viridian.devices.input.KeyEvent> keys) {
        throw new UnsupportedOperationException("this engine has no synthetic keyboard");
    }

    /** The guest's synthetic mouse's new state; dropped while its driver is not ready. */
    default void pointer(org.viridian.devices.input.PointerEvent p) {
        throw new UnsupportedOperationException("this engine has no synthetic mouse");
    }

    /** Removes the disk in {@code slot} from the running VM (hot remove). */
    default void detachDisk(int slot) throws IOException {
        throw new UnsupportedOperationException("this engine cannot remove disks from a running VM");
    }

    /**
     * Adds a network adapter to the running VM (hot add); one without a switch is not plugged in, as at start. Throws
     * IllegalArgumentException or IOException (with the reason) when it cannot, leaving the VM as it was.
     */
    default void addNetworkAdapter(NetworkAdapter adapter) throws IOException {
        throw new UnsupportedOperationException("this engine cannot add network adapters to a running VM");
    }

    /** Removes a network adapter (found by its name) from the running VM (hot remove). */
    default void removeNetworkAdapter(NetworkAdapter adapter) throws IOException {
        throw new UnsupportedOperationException("this engine cannot remove network adapters from a running VM");
    }

    /**
     * Changes a running VM's adapter {@code from} (found by its name) to {@code to}: its switch (none: unplugged),
     * VLAN, guards, bandwidth. A changed MAC address of a plugged-in adapter is refused (IllegalArgumentException).
     */
    default void updateNetworkAdapter(NetworkAdapter from, NetworkAdapter to) throws IOException {
        throw new UnsupportedOperationException("this engine cannot change the network adapters of a running VM");
    }
}
