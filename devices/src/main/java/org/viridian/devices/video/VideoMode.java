package org.viridian.devices.video;

import org.viridian.devices.video.protocol.VideoOutput;

/**
 * A screen mode the guest set and the host accepted: where the picture starts in VRAM, its size in pixels, bits per
 * pixel (32: x8r8g8b8; 16: r5g6b5) and bytes per line.
 */
public record VideoMode(long vramOffset, int width, int height, int depthBits, int pitch) {
    /** The largest screen the device takes (8K UHD); larger modes from the guest are refused. */
    public static final int MAX_WIDTH = 7680, MAX_HEIGHT = 4320;

    /**
     * The mode a guest's video output describes, when it is possible: active, the negotiated depth, a size within
     * the maximum, lines at least as long as a row of pixels, and the whole picture inside {@code vramBytes}.
     */
    static VideoMode of(VideoOutput o, int depthBits, long vramBytes) {
        if (!o.active() || o.depthBits() != depthBits) return null;
        return checked(o.vramOffset(), o.width(), o.height(), depthBits, o.pitch(), vramBytes);
    }

    /** The mode when it is possible (a size within the maximum, whole lines, inside {@code vramBytes}); else null. */
    static VideoMode checked(long vramOffset, long width, long height, int depthBits, long pitch, long vramBytes) {
        if (width < 1 || width > MAX_WIDTH || height < 1 || height > MAX_HEIGHT) return null;
        if (depthBits != 16 && depthBits != 32) return null;
        long row = width * depthBits / 8;
        if (pitch < row || pitch > (long) MAX_WIDTH * 4) return null;
        if (vramOffset < 0 || vramOffset > vramBytes || vramOffset + pitch * (height - 1) + row > vramBytes)
            return null;
        return new VideoMode(vramOffset, (int) width, (int) height, depthBits, (int) pitch);
    }

    /** The VRAM bytes the picture spans from its offset: every full line but the last, and the last row of pixels. */
    public long bytes() {
        return (long) pitch * (height - 1) + (long) width * depthBits / 8;
    }
}
