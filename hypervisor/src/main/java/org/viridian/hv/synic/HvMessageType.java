package org.viridian.hv.synic;

/**
 * The SynIC message types the hypervisor itself sends (TLFS HV_MESSAGE_TYPE; Linux's enum hv_message_type). Types
 * with bit 31 set are the hypervisor's; guests and VMBus use the others (VMBus: 1).
 */
public enum HvMessageType {
    /** The slot is empty. */
    NONE(0),
    TIMER_EXPIRED(0x80000010);

    private final int code;

    HvMessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Whether {@code type} is reserved to the hypervisor (a guest may not post it). */
    public static boolean isHypervisors(int type) {
        return type < 0;
    }
}
