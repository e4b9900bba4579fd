package org.viridian.management.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.management.state.VmState.*;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The state machine, pair by pair: exactly the listed transitions are allowed. */
class VmStateTest {
    private static final Map<VmState, Set<VmState>> ALLOWED = Map.of(
            OFF, EnumSet.of(STARTING, SAVED, MIGRATING),
            STARTING, EnumSet.of(RUNNING, OFF, CRASHED, STOPPING, SAVED),
            RUNNING, EnumSet.of(PAUSED, STOPPING, SAVING, OFF, CRASHED),
            PAUSED, EnumSet.of(RUNNING, STOPPING, SAVING, OFF, CRASHED),
            SAVING, EnumSet.of(SAVED, RUNNING, PAUSED, CRASHED, OFF),
            SAVED, EnumSet.of(STARTING, OFF, MIGRATING),
            STOPPING, EnumSet.of(OFF, CRASHED),
            CRASHED, EnumSet.of(OFF, STARTING, SAVED, MIGRATING),
            MIGRATING, EnumSet.of(SAVED, OFF));

    @Test
    void everyPairIsAllowedExactlyWhenListed() {
        Instant t = Instant.EPOCH;
        for (VmState from : VmState.values()) {
            for (VmState to : VmState.values()) {
                VmStatus s = new VmStatus(from, t, null);
                if (ALLOWED.get(from).contains(to)) {
                    assertThat(s.moveTo(to, t, null).state()).isEqualTo(to);
                } else {
                    assertThatThrownBy(() -> s.moveTo(to, t, null))
                            .isInstanceOf(IllegalTransitionException.class)
                            .hasMessageContaining(from.wire())
                            .hasMessageContaining(to.wire());
                }
            }
        }
    }

    @Test
    void operationsNameTheStateTheyNeed() {
        assertThatThrownBy(() -> VmOperation.PAUSE.check("web", OFF))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessage("cannot pause VM 'web': it is off (pause needs [running])");
        for (VmOperation op : VmOperation.values()) {
            for (VmState s : VmState.values()) {
                // Reconfiguring, changing disks, their limits or adapters and deleting leave the state as it is.
                if (op.allowedIn(s)
                        && op != VmOperation.RECONFIGURE
                        && op != VmOperation.CHANGE_DISKS
                        && op != VmOperation.SET_DISK_LIMITS
                        && op != VmOperation.CHANGE_ADAPTERS
                        && op != VmOperation.DELETE) {
                    // every operation allowed in a state leads somewhere the state machine allows
                    VmState next =
                            switch (op) {
                                case START -> STARTING;
                                case STOP -> s == CRASHED || s == SAVED ? OFF : STOPPING;
                                case SAVE -> SAVING;
                                case SHUTDOWN, RESET -> STOPPING;
                                case PAUSE -> PAUSED;
                                case RESUME -> RUNNING;
                                default -> throw new AssertionError();
                            };
                    assertThat(s.canMoveTo(next)).as(op + " in " + s).isTrue();
                }
            }
        }
    }
}
