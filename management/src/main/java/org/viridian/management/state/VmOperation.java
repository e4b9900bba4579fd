package org.viridian.management.state;

import static org.viridian.management.state.VmState.CRASHED;
import static org.viridian.management.state.VmState.OFF;
import static org.viridian.management.state.VmState.PAUSED;
import static org.viridian.management.state.VmState.RUNNING;
import static org.viridian.management.state.VmState.SAVED;
import static org.viridian.management.state.VmState.STARTING;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What a client may ask of a VM, and in which states it may ask it. */
public enum VmOperation {
    START(EnumSet.of(OFF, CRASHED, SAVED)),
    /** Hard power-off; from crashed it clears the crash, from saved it discards the saved state (both: back to off). */
    STOP(EnumSet.of(STARTING, RUNNING, PAUSED, CRASHED, SAVED)),
    /** Save-VM: the whole state to disk, then off (memory freed); start resumes it. */
    SAVE(EnumSet.of(RUNNING, PAUSED)),
    SHUTDOWN(EnumSet.of(RUNNING)),
    PAUSE(EnumSet.of(RUNNING)),
    RESUME(EnumSet.of(PAUSED)),
    RESET(EnumSet.of(RUNNING, PAUSED)),
    /**
     * Changing virtual hardware (processors, memory, boot, disks, adapters); not while saved: the saved state holds
     * that hardware (as Hyper-V, which refuses until the VM is started or its saved state deleted).
     */
    RECONFIGURE(EnumSet.of(OFF, CRASHED)),
    /** Attaching or detaching a disk: also while running (hot add/remove on the synthetic SCSI controller). */
    CHANGE_DISKS(EnumSet.of(OFF, CRASHED, RUNNING)),
    /**
     * A disk's IOPS/bandwidth limits: in every settled state. A running or paused VM's disk takes them at once; a saved
     * VM's state holds no limits, so it resumes with the new ones.
     */
    SET_DISK_LIMITS(EnumSet.of(OFF, CRASHED, SAVED, RUNNING, PAUSED)),
    /** Adding, removing or changing a network adapter: also while running (hot add/remove on VMBus). */
    CHANGE_ADAPTERS(EnumSet.of(OFF, CRASHED, RUNNING)),
    DELETE(EnumSet.of(OFF, CRASHED, SAVED));

    private final Set<VmState> allowedIn;

    VmOperation(Set<VmState> allowedIn) {
        this.allowedIn = allowedIn;
    }

    public boolean allowedIn(VmState s) {
        return allowedIn.contains(s);
    }

    public void check(String vm, VmState s) {
        if (!allowedIn(s)) {
            throw new IllegalTransitionException(
                    "cannot " + verb() + " VM '" + vm + "': it is " + s.wire() + " (" + verb() + " needs "
                            + allowedIn.stream().map(VmState::wire).toList() + ")",
                    s);
        }
    }

    public String verb() {
        return name().toLowerCase(Locale.ROOT);
    }
}
