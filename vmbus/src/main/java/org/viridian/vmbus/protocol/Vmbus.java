package org.viridian.vmbus.protocol;

/** Where VMBus channel messages travel: connections, SINT and SynIC message type. */
public final class Vmbus {
    private Vmbus() {}

    /**
     * The message connection for INITIATE_CONTACT before 5.0 (and what Viridian hands out from 5.0 on), and from 5.0.
     */
    public static final int CONNECTION_ID = 1, CONNECTION_ID_4 = 4;
    /** Where messages go when the guest does not say (before 5.0): SINT 2. */
    public static final int DEFAULT_SINT = 2;
    /** The SynIC message type VMBus uses in both directions. */
    public static final int SYNIC_MESSAGE_TYPE = 1;
    /** NTSTATUS a host answer carries for a refused GPADL or open. */
    public static final int STATUS_UNSUCCESSFUL = 0xC0000001;
}
