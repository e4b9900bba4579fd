package org.viridian.storage;

import java.io.IOException;

/** An on-disk structure failed validation; the message names the file, the structure and the field. */
public final class CorruptImageException extends IOException {
    public CorruptImageException(String message) {
        super(message);
    }
}
