package org.viridian.devices.netvsp.protocol;

import java.util.Optional;

/** RNDIS message types (Linux include/linux/rndis.h RNDIS_MSG_*; completions have bit 31 set). */
public enum RndisMessageType {
    PACKET(0x1),
    INITIALIZE(0x2),
    HALT(0x3),
    QUERY(0x4),
    SET(0x5),
    RESET(0x6),
    INDICATE_STATUS(0x7),
    KEEPALIVE(0x8),
    INITIALIZE_COMPLETE(0x80000002),
    QUERY_COMPLETE(0x80000004),
    SET_COMPLETE(0x80000005),
    RESET_COMPLETE(0x80000006),
    KEEPALIVE_COMPLETE(0x80000008);

    private final int code;

    RndisMessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<RndisMessageType> of(int code) {
        for (RndisMessageType t : values()) if (t.code == code) return Optional.of(t);
        return Optional.empty();
    }
}
