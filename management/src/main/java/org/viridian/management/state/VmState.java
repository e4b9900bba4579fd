package org.viridian.management.state;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A VM's life cycle, as Hyper-V shows it. Each state lists the states it may move to; anything else is refused
 * ({@link IllegalTransitionException}).
 */
public enum VmState {
    OFF,
    STARTING,
    RUNNING,
    PAUSED,
    SAVING,
    SAVED,
    STOPPING,
    CRASHED,
    /**
     * Handed to another host by a quick migration that has not finished: not startable here, until the destination
     * says whether it took the VM (then it is removed here) or not (then it is back as it was, saved or off).
     */
    MIGRATING;

    private Set<VmState> next;

    static {
        OFF.next = EnumSet.of(STARTING, SAVED, MIGRATING); // saved: a checkpoint with a saved state applied
        STARTING.next = EnumSet.of(RUNNING, OFF, CRASHED, STOPPING, SAVED); // saved again: a refused restore
        RUNNING.next = EnumSet.of(PAUSED, STOPPING, SAVING, OFF, CRASHED);
        PAUSED.next = EnumSet.of(RUNNING, STOPPING, SAVING, OFF, CRASHED);
        SAVING.next = EnumSet.of(SAVED, RUNNING, PAUSED, CRASHED, OFF); // off: saved for a move, its state gone with it
        SAVED.next = EnumSet.of(STARTING, OFF, MIGRATING);
        STOPPING.next = EnumSet.of(OFF, CRASHED);
        CRASHED.next = EnumSet.of(OFF, STARTING, SAVED, MIGRATING);
        MIGRATING.next = EnumSet.of(SAVED, OFF);
    }

    public boolean canMoveTo(VmState to) {
        return next.contains(to);
    }

    public Set<VmState> successors() {
        return EnumSet.copyOf(next);
    }

    /** Whether a partition exists (the VM holds memory and processors). */
    public boolean isActive() {
        return this == STARTING || this == RUNNING || this == PAUSED || this == SAVING || this == STOPPING;
    }

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static VmState ofWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
