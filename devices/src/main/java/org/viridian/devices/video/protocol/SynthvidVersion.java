package org.viridian.devices.video.protocol;

import java.util.Optional;

/**
 * Synthetic video protocol versions (hyperv_fb's SYNTHVID_VERSION: minor << 16 | major). Linux proposes WIN10 and,
 * on older VMBus versions, WIN8; WIN7 (16-bit depth) is what 2008 R2 hosts speak.
 */
public enum SynthvidVersion {
    WIN7(3, 0),
    WIN8(3, 2),
    WIN10(3, 5);
    private final int major, minor;

    SynthvidVersion(int major, int minor) {
        this.major = major;
        this.minor = minor;
    }

    public int code() {
        return minor << 16 | major;
    }

    public static Optional<SynthvidVersion> of(int code) {
        for (SynthvidVersion v : values()) if (v.code() == code) return Optional.of(v);
        return Optional.empty();
    }

    /** Whether this version asks the host for its resolutions (SYNTHVID_RESOLUTION_REQUEST, WIN10 and later). */
    public boolean hasResolutionRequest() {
        return this == WIN10;
    }

    /** The pixel depth the guest draws in: WIN7 hosts take 16 bits, later ones 32. */
    public int depthBits() {
        return this == WIN7 ? 16 : 32;
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
