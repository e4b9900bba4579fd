package org.viridian.devices.ic.protocol;

import java.util.Optional;

/** IC framework and service versions Viridian offers (struct ic_version, packed major << 16 | minor). */
public enum IcVersion {
    V1_0(1, 0),
    V3_0(3, 0),
    V4_0(4, 0);

    private final int code;

    IcVersion(int major, int minor) {
        this.code = major << 16 | minor;
    }

    public int code() {
        return code;
    }

    public static Optional<IcVersion> of(int code) {
        for (IcVersion v : values()) if (v.code == code) return Optional.of(v);
        return Optional.empty();
    }
}
