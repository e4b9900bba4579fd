package org.viridian.management.state;

/** An operation or transition that the VM's current state does not allow (the API answers 409). */
public final class IllegalTransitionException extends RuntimeException {
    private final VmState state;

    public IllegalTransitionException(String message, VmState state) {
        super(message);
        this.state = state;
    }

    public VmState state() {
        return state;
    }
}
