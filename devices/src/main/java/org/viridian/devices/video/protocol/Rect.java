package org.viridian.devices.video.protocol;

/** struct rect: top left corner (x1, y1) included, bottom right (x2, y2) excluded; s32, untrusted. */
public record Rect(int x1, int y1, int x2, int y2) {
    public static final int SIZE = 16;

    public boolean isEmpty() {
        return x2 <= x1 || y2 <= y1;
    }

    /** This rectangle cut to {@code width} x {@code height} (possibly empty). */
    public Rect clip(int width, int height) {
        return new Rect(
                Math.clamp(x1, 0, width),
                Math.clamp(y1, 0, height),
                Math.clamp(x2, 0, width),
                Math.clamp(y2, 0, height));
    }

    /** The smallest rectangle holding both. */
    public Rect union(Rect o) {
        return new Rect(Math.min(x1, o.x1), Math.min(y1, o.y1), Math.max(x2, o.x2), Math.max(y2, o.y2));
    }
}
