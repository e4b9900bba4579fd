package org.viridian.hv.hypercall;

import java.util.OptionalLong;
import java.util.function.LongSupplier;
import org.viridian.partition.bus.VpPortTrap;
import org.viridian.partition.vp.VirtualProcessor;

/**
 * The hypercall page's fast HvSignalEvent for a connection no doorbell answers (SignalDoorbells): the page's write to
 * {@link SignalDoorbells#PORT} exits to user space, and this makes the whole call from the registers (RCX and RDX are
 * as the guest passed them), with its status in RAX and RIP past the page's own "success" (to its {@code ret}), so an
 * unknown connection still gets HV_STATUS_INVALID_CONNECTION_ID. A write to that port from anywhere but the page's
 * one place is an ordinary write to a port nobody claims: ignored.
 */
public final class FastSignalFallback implements VpPortTrap {
    private final HypercallDispatcher dispatcher;
    private final LongSupplier hypercallPage;

    /** {@code hypercallPage}: the page's guest-physical address now, -1 while disabled. */
    public FastSignalFallback(HypercallDispatcher dispatcher, LongSupplier hypercallPage) {
        this.dispatcher = dispatcher;
        this.hypercallPage = hypercallPage;
    }

    @Override
    public int access(VirtualProcessor vp, int port, int size, boolean write, int value) {
        if (!write || size != 4) return 0;
        long page = hypercallPage.getAsLong();
        if (page < 0) return 0;
        OptionalLong at = vp.vcpu().translate(vp.registers().rip());
        if (at.isEmpty() || at.getAsLong() != page + HypercallPage.FAST_SIGNAL_OUT) return 0;
        dispatcher.call(vp, HypercallPage.FAST_SIGNAL_SKIP);
        return 0;
    }
}
