package org.viridian.machine.state;

import java.io.IOException;

/** A saved-state file that is truncated, corrupt, of another format version or of another VM. */
public final class StateFileException extends IOException {
    public StateFileException(String message) {
        super(message);
    }

    public StateFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
