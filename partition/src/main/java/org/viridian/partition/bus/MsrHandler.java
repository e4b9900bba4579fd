package org.viridian.partition.bus;

import java.util.OptionalLong;

/** Synthetic MSRs handled in user space (the Hyper-V MSRs live here). Called on the trapping VP's thread. */
public interface MsrHandler {
    /** The MSR's value for {@code vp}, or empty to inject #GP. */
    OptionalLong read(int vp, int msr);

    /** Applies a write; false injects #GP (reserved bits, read-only MSR, bad value). */
    boolean write(int vp, int msr, long value);
}
