package org.viridian.devices.storvsp.protocol;

import java.util.Optional;

/** The operations of a vstor packet (Linux storvsc's enum vstor_packet_operation). */
public enum VstorOperation {
    COMPLETE_IO(1),
    REMOVE_DEVICE(2),
    EXECUTE_SRB(3),
    RESET_LUN(4),
    RESET_ADAPTER(5),
    RESET_BUS(6),
    BEGIN_INITIALIZATION(7),
    END_INITIALIZATION(8),
    QUERY_PROTOCOL_VERSION(9),
    QUERY_PROPERTIES(10),
    ENUMERATE_BUS(11),
    FCHBA_DATA(12),
    CREATE_SUB_CHANNELS(13);

    private final int code;

    VstorOperation(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Resets are the only control operations a sub-channel serves. */
    public boolean isReset() {
        return this == RESET_LUN || this == RESET_ADAPTER || this == RESET_BUS;
    }

    /** The operation of {@code code}; empty for codes Linux does not define (StorVSP answers them, never drops). */
    public static Optional<VstorOperation> of(int code) {
        for (VstorOperation o : values()) if (o.code == code) return Optional.of(o);
        return Optional.empty();
    }
}
