package org.viridian.devices.netvsp.protocol;

import java.util.List;
import java.util.Optional;

/**
 * The NVSP protocol versions (Linux hyperv_net.h's NVSP_PROTOCOL_VERSION_*, as netvsc.c's ver_list proposes them, one at
 * a time, newest first). NDIS configuration starts with version 2, vRSS sub-channels with 5, RSC with 6.1.
 */
public enum NvspVersion {
    V1(0x2),
    V2(0x30002),
    V4(0x40000),
    V5(0x50000),
    V6(0x60000),
    V61(0x60001);

    private final int code;

    NvspVersion(int code) {
        this.code = code;
    }

    /** The value struct nvsp_message_init carries. */
    public int code() {
        return code;
    }

    public boolean atLeast(NvspVersion v) {
        return compareTo(v) >= 0;
    }

    public static Optional<NvspVersion> of(int code) {
        for (NvspVersion v : values()) if (v.code == code) return Optional.of(v);
        return Optional.empty();
    }

    /** Newest first, the order a guest tries them in. */
    public static List<NvspVersion> newestFirst() {
        return List.of(V61, V6, V5, V4, V2, V1);
    }
}
