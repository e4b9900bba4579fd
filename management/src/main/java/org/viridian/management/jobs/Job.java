package org.viridian.management.jobs;

import java.time.Instant;

/** A long operation (start, stop, reset …) as clients see it: poll {@code /api/v1/jobs/{id}} until it is done. */
public record Job(
        String id,
        String kind,
        String vmId,
        String vmName,
        Status status,
        int progress,
        String message,
        Instant created,
        Instant finished) {
    public enum Status {
        RUNNING,
        SUCCEEDED,
        FAILED;

        @com.fasterxml.jackson.annotation.JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public boolean done() {
        return status != Status.RUNNING;
    }
}
