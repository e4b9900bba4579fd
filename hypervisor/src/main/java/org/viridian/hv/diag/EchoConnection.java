package org.viridian.hv.diag;

import org.viridian.hv.Hypervisor;
import org.viridian.hv.synic.HvMessage;

/**
 * A diagnostic host endpoint for test guests and benchmarks: a message the guest posts to connection 0x7E57 comes
 * back unchanged on SINT 2 of the posting VP, and HvSignalEvent on 0x7E57 sets event flag 5 of SINT 2. Off unless
 * asked for (viridian run --hv-echo).
 */
public final class EchoConnection {
    public static final int CONNECTION_ID = 0x7E57, SINT = 2, EVENT_FLAG = 5;

    private EchoConnection() {}

    public static void install(Hypervisor hv) {
        hv.messageCalls()
                .onMessage(
                        CONNECTION_ID,
                        m -> hv.postMessage(m.vp(), SINT, new HvMessage(m.type(), CONNECTION_ID, m.payload())));
        hv.messageCalls().onEvent(CONNECTION_ID, vp -> hv.signalEvent(vp, SINT, EVENT_FLAG));
    }
}
