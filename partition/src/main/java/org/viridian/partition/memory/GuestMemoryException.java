package org.viridian.partition.memory;

/** A guest-physical access outside the partition's RAM. Raised instead of touching any other memory. */
public final class GuestMemoryException extends RuntimeException {
    public GuestMemoryException(String message) {
        super(message);
    }
}
