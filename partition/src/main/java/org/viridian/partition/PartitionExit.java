package org.viridian.partition;

/** How a partition's run ended. */
public sealed interface PartitionExit {
    /** The guest powered itself off (ACPI S5). */
    record PoweredOff() implements PartitionExit {}

    /** The guest wrote v to the isa-debug-exit port; {@code status} = (v << 1) | 1, as QEMU reports it. */
    record DebugExit(int status) implements PartitionExit {}

    /** The guest asked for a reset (i8042 0xFE, port 0xCF9, ACPI reset register). */
    record Reset() implements PartitionExit {}

    /** The host stopped it (hard power-off, service request). */
    record Stopped(String why) implements PartitionExit {}

    /**
     * Triple fault, emulation failure, failed entry or an internal VMM fault: the partition is dead, the host lives.
     */
    record Crashed(CrashReport report) implements PartitionExit {}

    /** Process exit status for `viridian run`: the guest's own status where it gave one. */
    default int exitStatus() {
        return switch (this) {
            case PoweredOff p -> 0;
            case DebugExit d -> d.status();
            case Reset r -> 0;
            case Stopped s -> 130;
            case Crashed c -> 125;
        };
    }
}
