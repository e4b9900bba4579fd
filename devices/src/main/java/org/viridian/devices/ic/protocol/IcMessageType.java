package org.viridian.devices.ic.protocol;

import org.viridian.vmbus.protocol.ProtocolException;

/** ICMSG message types (Linux's ICMSGTYPE_*), one per integration service plus negotiation. */
public enum IcMessageType {
    NEGOTIATE(0),
    HEARTBEAT(1),
    KVP_EXCHANGE(2),
    SHUTDOWN(3),
    TIMESYNC(4),
    VSS(5),
    FCOPY(7);

    private final int code;

    IcMessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static IcMessageType of(int code) throws ProtocolException {
        for (IcMessageType t : values()) if (t.code == code) return t;
        throw new ProtocolException("IC message type " + code);
    }
}
