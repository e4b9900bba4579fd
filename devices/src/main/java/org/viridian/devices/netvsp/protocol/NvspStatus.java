package org.viridian.devices.netvsp.protocol;

/** NVSP status codes (Linux hyperv_net.h's NVSP_STAT_*): completions carry one; Linux checks for SUCCESS only. */
public final class NvspStatus {
    private NvspStatus() {}

    public static final int NONE = 0,
            SUCCESS = 1,
            FAIL = 2,
            PROTOCOL_TOO_NEW = 3,
            PROTOCOL_TOO_OLD = 4,
            INVALID_RNDIS_PACKET = 5,
            BUSY = 6,
            PROTOCOL_UNSUPPORTED = 7;
}
