package org.viridian.vmbus.protocol;

import java.util.Optional;

/**
 * VMBus protocol versions (major << 16 | minor) Viridian accepts, newest first: every one a current Linux proposes
 * (include/linux/hyperv.h VERSION_*), down to Windows Server 2008. From 5.0 the guest names its message SINT and
 * must contact the host on connection 4.
 */
public enum VmbusVersion {
    V5_3(0x50003),
    V5_2(0x50002),
    V5_1(0x50001),
    WIN10_V5(0x50000),
    WIN10_V4_1(0x40001),
    WIN10(0x40000),
    V3_3(0x30003),
    WIN8(0x20004),
    WIN7(0x10001),
    WS2008(0x0000D);

    private final int code;

    VmbusVersion(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Whether the guest chooses its message SINT and uses connection 4 (5.0 and later). */
    public boolean modern() {
        return Integer.compareUnsigned(code, WIN10_V5.code) >= 0;
    }

    public static Optional<VmbusVersion> of(int code) {
        for (VmbusVersion v : values()) if (v.code == code) return Optional.of(v);
        return Optional.empty();
    }
}
