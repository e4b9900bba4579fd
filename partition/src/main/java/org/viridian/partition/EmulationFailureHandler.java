package org.viridian.partition;

import org.viridian.partition.vp.VirtualProcessor;

/**
 * Turns an instruction KVM's emulator rejected into architectural behaviour (inject #UD/#BP, emulate, ...). On nested
 * hosts whose KVM emulates guest kernel code this keeps stock kernels running; unhandled cases crash the partition.
 */
@FunctionalInterface
public interface EmulationFailureHandler {
    EmulationFailureHandler NONE = (vp, insn) -> false;

    /** True when the failure was handled and the VP may re-enter the guest. */
    boolean handle(VirtualProcessor vp, byte[] instructionBytes);
}
