package org.viridian.management.worker;

/** A frame the peer sent that this side refuses: malformed, unknown, oversized or out of order. */
public final class ProtocolException extends Exception {
    /** Whether the byte stream can still be read after it (false: the framing itself is broken). */
    private final boolean recoverable;

    public ProtocolException(String message, boolean recoverable) {
        super(message);
        this.recoverable = recoverable;
    }

    public boolean recoverable() {
        return recoverable;
    }
}
