package org.viridian.machine.boot;

/** A kernel or initrd image that cannot be loaded: malformed, truncated, or not fitting the guest. */
public final class KernelImageException extends RuntimeException {
    public KernelImageException(String message) {
        super(message);
    }

    public KernelImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
