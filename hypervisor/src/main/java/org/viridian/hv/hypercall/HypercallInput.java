package org.viridian.hv.hypercall;

import java.lang.foreign.MemorySegment;

/**
 * What a hypercall handler receives: the calling VP, the decoded control word, and either the register inputs (fast
 * calls: RDX and R8) or a bounds-checked view of the input block in the caller's memory (slow calls).
 */
public record HypercallInput(int vp, HypercallControl control, long fastIn0, long fastIn1, MemorySegment slowInput) {
    public boolean fast() {
        return control.fast();
    }
}
