package org.viridian.devices.netvsp.protocol;

import java.util.Optional;

/**
 * NVSP message types (Linux hyperv_net.h's anonymous enum: NVSP_MSG_TYPE_*, NVSP_MSG1_TYPE_*, …), the ones NetVSP
 * reads or writes. The numbering runs on through the versions (chimney and VMQ messages of version 2 sit between), so
 * the codes are spelled out.
 */
public enum NvspMessageType {
    INIT(1),
    INIT_COMPLETE(2),
    SEND_NDIS_VERSION(100),
    SEND_RECEIVE_BUFFER(101),
    SEND_RECEIVE_BUFFER_COMPLETE(102),
    REVOKE_RECEIVE_BUFFER(103),
    SEND_SEND_BUFFER(104),
    SEND_SEND_BUFFER_COMPLETE(105),
    REVOKE_SEND_BUFFER(106),
    SEND_RNDIS_PACKET(107),
    SEND_RNDIS_PACKET_COMPLETE(108),
    /** NVSP_MSG2_TYPE_SEND_NDIS_CONFIG. */
    SEND_NDIS_CONFIG(125),
    /** NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION. */
    SEND_VF_ASSOCIATION(128),
    SWITCH_DATA_PATH(129),
    /** NVSP_MSG5_TYPE_SUBCHANNEL: the guest's request and the host's completion share the code. */
    SUBCHANNEL(133),
    SEND_INDIRECTION_TABLE(134);

    private final int code;

    NvspMessageType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<NvspMessageType> of(int code) {
        for (NvspMessageType t : values()) if (t.code == code) return Optional.of(t);
        return Optional.empty();
    }
}
