package org.viridian.confine;

/** A confinement step the policy asked for could not be applied: the worker must not run its guest. */
public final class ConfinementException extends RuntimeException {
    public ConfinementException(String step, Throwable cause) {
        super("confinement step '" + step + "' failed: " + cause.getMessage(), cause);
    }
}
