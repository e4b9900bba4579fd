package org.viridian.hv.hypercall;

/** One hypercall. Returns an {@link HvStatus} code; runs on the calling VP's thread, so it must not block. */
@FunctionalInterface
public interface HypercallHandler {
    int call(HypercallInput in);
}
