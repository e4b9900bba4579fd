package org.viridian.devices.ic.protocol;

import org.viridian.vmbus.protocol.ProtocolException;

/** The guest's KVP pools (Linux's enum hv_kvp_exchg_pool), in wire order. */
public enum KvpPool {
    EXTERNAL,
    GUEST,
    AUTO,
    AUTO_EXTERNAL,
    AUTO_INTERNAL;

    public int code() {
        return ordinal();
    }

    public static KvpPool of(int code) throws ProtocolException {
        if (code < 0 || code >= values().length) throw new ProtocolException("KVP pool " + code);
        return values()[code];
    }
}
