package org.viridian.vmbus.protocol;

/**
 * A guest's message broke its protocol (too short, a count past its bytes, an unknown type or version, a value out of
 * range). The one exception every {@code parse} of a VMBus-carried protocol throws; the caller drops that message.
 */
public final class ProtocolException extends Exception {
    public ProtocolException(String message) {
        super(message);
    }
}
