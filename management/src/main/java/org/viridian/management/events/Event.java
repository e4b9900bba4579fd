package org.viridian.management.events;

import java.time.Instant;

/**
 * Something that happened on this host: a VM created, changed, deleted or changing state, a job's progress.
 * {@code seq} orders events; clients resume a stream after the last one they saw.
 */
public record Event(long seq, Instant time, String type, String vmId, String vmName, String state, String message) {
    public static final String VM_CREATED = "vm.created",
            VM_UPDATED = "vm.updated",
            VM_DELETED = "vm.deleted",
            VM_STATE = "vm.state",
            JOB = "job";
}
