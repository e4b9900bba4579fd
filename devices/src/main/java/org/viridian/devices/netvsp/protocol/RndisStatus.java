package org.viridian.devices.netvsp.protocol;

/** RNDIS/NDIS status codes (Linux include/linux/rndis.h RNDIS_STATUS_*) that NetVSP answers or indicates. */
public final class RndisStatus {
    private RndisStatus() {}

    public static final int SUCCESS = 0;
    public static final int FAILURE = 0xC0000001;
    public static final int NOT_SUPPORTED = 0xC00000BB;
    public static final int INVALID_LENGTH = 0xC0010014;
    public static final int INVALID_DATA = 0xC0010015;
    /** Indications: the cable is plugged in / pulled (Linux reconfigures its carrier on these). */
    public static final int MEDIA_CONNECT = 0x4001000B;

    public static final int MEDIA_DISCONNECT = 0x4001000C;
    public static final int LINK_SPEED_CHANGE = 0x40010013;
    public static final int NETWORK_CHANGE = 0x40010018;
}
