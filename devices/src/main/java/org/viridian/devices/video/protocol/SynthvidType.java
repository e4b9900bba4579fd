package org.viridian.devices.video.protocol;

import java.util.Optional;

/** enum synthvid_msg_type: what follows struct synthvid_msg_hdr. */
public enum SynthvidType {
    VERSION_REQUEST(1),
    VERSION_RESPONSE(2),
    VRAM_LOCATION(3),
    VRAM_LOCATION_ACK(4),
    SITUATION_UPDATE(5),
    SITUATION_UPDATE_ACK(6),
    POINTER_POSITION(7),
    POINTER_SHAPE(8),
    FEATURE_CHANGE(9),
    DIRT(10),
    RESOLUTION_REQUEST(13),
    RESOLUTION_RESPONSE(14);

    private final int code;

    SynthvidType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<SynthvidType> of(int code) {
        for (SynthvidType t : values()) if (t.code == code) return Optional.of(t);
        return Optional.empty();
    }
}
