package org.viridian.hv;

/**
 * A guest's hypercall input or SynIC message broke the TLFS's rules (too short, a size or value out of range). The one
 * exception of the hypervisor layer's parsers (below VMBus, so not VMBus's ProtocolException); it carries the
 * hypercall status the guest gets for it.
 */
public final class HvProtocolException extends Exception {
    private final int status;

    public HvProtocolException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HvStatus code a hypercall that met this returns. */
    public int status() {
        return status;
    }
}
