package org.viridian.management.state;

import java.time.Instant;

/** A VM's state, since when, and how its last run ended (null if it never ran). Persisted in status.json. */
public record VmStatus(VmState state, Instant since, LastExit lastExit) {
    public static VmStatus off(Instant now) {
        return new VmStatus(VmState.OFF, now, null);
    }

    /** The validated transition to {@code to}. */
    public VmStatus moveTo(VmState to, Instant now, LastExit exit) {
        if (!state.canMoveTo(to)) {
            throw new IllegalTransitionException("a VM cannot go from " + state.wire() + " to " + to.wire(), state);
        }
        return new VmStatus(to, now, exit != null ? exit : lastExit);
    }
}
