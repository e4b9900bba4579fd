package org.viridian.devices.ic.protocol;

import org.viridian.vmbus.protocol.ProtocolException;

/** What a KVP message asks (Linux's enum hv_kvp_exchg_op, the ones Viridian sends). */
public enum KvpOperation {
    GET,
    SET,
    DELETE,
    ENUMERATE;

    /** The code on the wire (the enum's order is Linux's). */
    public int code() {
        return ordinal();
    }

    public static KvpOperation of(int code) throws ProtocolException {
        if (code < 0 || code >= values().length) throw new ProtocolException("KVP operation " + code);
        return values()[code];
    }
}
