package org.viridian.management.vnc;

import java.io.IOException;

/** A client's message the server refuses (malformed, unknown, or asking for what is not served): the client goes. */
public final class RfbProtocolException extends IOException {
    public RfbProtocolException(String message) {
        super(message);
    }
}
