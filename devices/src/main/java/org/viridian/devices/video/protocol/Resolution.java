package org.viridian.devices.video.protocol;

/** struct hvd_screen_info: a screen size in pixels (u16 each). */
public record Resolution(int width, int height) {
    public static final int SIZE = 4;

    public Resolution {
        if (width < 0 || width > 0xFFFF || height < 0 || height > 0xFFFF)
            throw new IllegalArgumentException(width + "x" + height);
    }

    @Override
    public String toString() {
        return width + "x" + height;
    }
}
