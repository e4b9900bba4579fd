package org.viridian.partition.nested;

import org.viridian.partition.EmulationFailureHandler;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.x86.Regs;

/**
 * Completes exception-raising instructions KVM could not emulate by injecting the exception they raise: #BP for int3
 * (a stock kernel's own self-test runs one), #UD for ud2 (BUG()/WARN()), the vector of int n. Anything else is left to
 * crash the partition with a report.
 */
public final class ArchitecturalFallback implements EmulationFailureHandler {
    @Override
    public boolean handle(VirtualProcessor vp, byte[] insn) {
        return switch (FailedInstruction.classify(insn)) {
            case FailedInstruction.Trap t -> {
                Regs r = vp.registers();
                vp.setRegisters(r.withRip(r.rip() + t.length()));
                vp.injectException(t.vector());
                vp.recordAtExit(FlightRecorder.Event.EXCEPTION_INJECTED, t.vector(), 0, 0);
                yield true;
            }
            case FailedInstruction.Fault f -> {
                vp.injectException(f.vector());
                vp.recordAtExit(FlightRecorder.Event.EXCEPTION_INJECTED, f.vector(), 0, 0);
                yield true;
            }
            case FailedInstruction.Unknown u -> false;
        };
    }
}
