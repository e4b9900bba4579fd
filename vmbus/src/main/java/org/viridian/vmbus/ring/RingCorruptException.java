package org.viridian.vmbus.ring;

/** The guest left a ring in a state no well-behaved peer can produce; the channel is closed, the host carries on. */
public final class RingCorruptException extends RuntimeException {
    public RingCorruptException(String message) {
        super(message);
    }
}
