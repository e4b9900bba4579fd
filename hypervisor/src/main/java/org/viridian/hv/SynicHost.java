package org.viridian.hv;

import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;

/** What VMBus needs of the hypervisor: guest-to-host calls by connection id, host-to-guest messages and events. */
public interface SynicHost {
    int vpCount();

    MessageCalls messageCalls();

    /** False when that SINT's queue is full. */
    boolean postMessage(int vp, int sint, HvMessage message);

    boolean signalEvent(int vp, int sint, int flag);
}
