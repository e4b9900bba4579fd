package org.viridian.hv.hypercall;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.viridian.partition.bus.VpPortTrap;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * Decodes hypercalls arriving through the hypercall page's port write and runs their handlers. Everything the guest
 * passes is validated here, before any handler sees it: reserved control bits, rep fields for simple calls, input
 * blocks that are unaligned, cross a page or lie outside the partition. A call from CPL > 0 gets #UD, as on Hyper-V.
 */
public final class HypercallDispatcher implements VpPortTrap {
    private static final long EFER_LMA = 1L << 10;
    private static final int UD = 6;
    /** The largest input block Viridian reads for a slow call (one page, as the TLFS allows at most). */
    static final int MAX_INPUT = 4096;

    private final GuestMemory memory;
    private final boolean userCalls;
    private final Map<Integer, Registered> handlers = new ConcurrentHashMap<>();
    /** Calls with a code no handler takes, and calls whose control value does not decode. */
    private final LongAdder unknownCode = new LongAdder(), badControl = new LongAdder();

    /** A call's handler and how often it was called (a LongAdder: several VPs call at once). */
    private record Registered(HypercallHandler handler, LongAdder calls) {}

    /** What {@link #counts()} calls the calls with unknown codes and those whose control value did not decode. */
    public static final String UNKNOWN_CODE = "unknown", BAD_CONTROL = "invalid";

    public HypercallDispatcher(GuestMemory memory, boolean userCalls) {
        this.memory = memory;
        this.userCalls = userCalls;
    }

    /** Registers a simple call (Viridian offers no rep calls yet: rep fields must be zero). */
    public void register(int code, HypercallHandler h) {
        handlers.put(code, new Registered(h, new LongAdder()));
    }

    /**
     * Calls that reached this dispatcher so far, by call code ("0x005c"), plus {@link #UNKNOWN_CODE} and
     * {@link #BAD_CONTROL}; codes never called are left out. Calls from CPL > 0 that were refused with #UD, and the
     * SMP calls KVM answers itself (VMCALL from the hypercall page), never reach it.
     */
    public Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        handlers.forEach((code, r) -> {
            long n = r.calls().sum();
            if (n != 0) out.put(String.format("0x%04x", code), n);
        });
        if (unknownCode.sum() != 0) out.put(UNKNOWN_CODE, unknownCode.sum());
        if (badControl.sum() != 0) out.put(BAD_CONTROL, badControl.sum());
        return out;
    }

    @Override
    public int access(VirtualProcessor vp, int port, int size, boolean write, int value) {
        call(vp, 0);
        return 0;
    }

    /**
     * Makes the call the VP's registers hold and puts its result in RAX (EDX:EAX); {@code skip}: bytes to move RIP on
     * past the trapping port write, which KVM then leaves alone (see FastSignalFallback). A call from CPL > 0 gets #UD.
     */
    public void call(VirtualProcessor vp, int skip) {
        Sregs s = vp.segmentRegisters();
        if (s.ss().dpl() != 0 && !userCalls) {
            vp.injectException(UD);
            vp.recordAtExit(FlightRecorder.Event.EXCEPTION_INJECTED, s.ss().dpl(), UD, 0, 0);
            return;
        }
        Regs r = vp.registers();
        boolean longMode = (s.efer() & EFER_LMA) != 0 && s.cs().l();
        long control = longMode ? r.rcx() : (r.rdx() << 32) | (r.rax() & 0xFFFF_FFFFL);
        long input = longMode ? r.rdx() : (r.rbx() << 32) | (r.rcx() & 0xFFFF_FFFFL);
        long in1 = longMode ? r.r8() : (r.rdi() << 32) | (r.rsi() & 0xFFFF_FFFFL);
        long result = dispatch(vp.index(), control, input, in1);
        vp.recordAtExit(FlightRecorder.Event.HYPERCALL, s.ss().dpl(), control, result & 0xFFFF, 0);
        // The result goes to RAX, or to EDX:EAX for a 32-bit caller.
        Regs out = longMode ? r.withRaxRdx(result, r.rdx()) : r.withRaxRdx(result & 0xFFFF_FFFFL, result >>> 32);
        vp.setRegisters(skip == 0 ? out : out.withRip(out.rip() + skip));
    }

    /** The call itself, from the raw register values: returns the result value for RAX (or EDX:EAX). */
    public long dispatch(int vp, long controlValue, long input, long in1) {
        HypercallControl c = HypercallControl.decode(controlValue);
        if (c == null) {
            badControl.increment();
            return HypercallControl.result(HvStatus.INVALID_HYPERCALL_INPUT, 0);
        }
        Registered r = handlers.get(c.code());
        if (r == null) {
            unknownCode.increment();
            return HypercallControl.result(HvStatus.INVALID_HYPERCALL_CODE, 0);
        }
        r.calls().increment();
        HypercallHandler h = r.handler();
        // Every call offered so far is simple and has no variable header: those fields must be zero.
        if (c.repCount() != 0 || c.repStart() != 0 || c.varHeaderQwords() != 0) {
            return HypercallControl.result(HvStatus.INVALID_HYPERCALL_INPUT, 0);
        }
        MemorySegment block = null;
        if (!c.fast()) {
            if ((input & 7) != 0) return HypercallControl.result(HvStatus.INVALID_ALIGNMENT, 0);
            int length = (int) Math.min(MAX_INPUT - (input & 0xFFF), MAX_INPUT);
            if (!memory.contains(input, length)) return HypercallControl.result(HvStatus.INVALID_PARAMETER, 0);
            block = memory.slice(input, length);
        }
        return HypercallControl.result(h.call(new HypercallInput(vp, c, input, in1, block)), 0);
    }
}
