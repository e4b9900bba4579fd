package org.viridian.hv.hypercall;

/** Hypercall result codes (TLFS, "Hypercall Status Codes"). */
public final class HvStatus {
    private HvStatus() {}

    public static final int SUCCESS = 0x0000;
    public static final int INVALID_HYPERCALL_CODE = 0x0002;
    public static final int INVALID_HYPERCALL_INPUT = 0x0003;
    public static final int INVALID_ALIGNMENT = 0x0004;
    public static final int INVALID_PARAMETER = 0x0005;
    public static final int ACCESS_DENIED = 0x0006;
    public static final int INVALID_VP_INDEX = 0x000E;
    public static final int INVALID_PORT_ID = 0x0011;
    public static final int INVALID_CONNECTION_ID = 0x0012;
    public static final int INSUFFICIENT_BUFFERS = 0x0013;
}
