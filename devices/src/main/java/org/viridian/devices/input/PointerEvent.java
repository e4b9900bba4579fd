package org.viridian.devices.input;

/**
 * The absolute pointer's state: position scaled to 0..32767 on each axis (the report descriptor's logical range, so
 * the guest maps it onto any screen size), buttons (bit 0 left, 1 right, 2 middle) and wheel steps (-127..127).
 */
public record PointerEvent(int x, int y, int buttons, int wheel) {
    public static final int MAX = 0x7FFF;

    public PointerEvent {
        if (x < 0 || x > MAX || y < 0 || y > MAX) throw new IllegalArgumentException("position " + x + "," + y);
        if (buttons < 0 || buttons > 7) throw new IllegalArgumentException("buttons " + buttons);
        if (wheel < -127 || wheel > 127) throw new IllegalArgumentException("wheel " + wheel);
    }

    /** A position in pixels on a {@code width} x {@code height} screen, scaled to the pointer's range. */
    public static PointerEvent at(int px, int py, int width, int height, int buttons) {
        if (width < 1 || height < 1 || px < 0 || py < 0 || px >= width || py >= height)
            throw new IllegalArgumentException(px + "," + py + " on " + width + "x" + height);
        return new PointerEvent(scale(px, width), scale(py, height), buttons, 0);
    }

    private static int scale(int p, int size) {
        return size == 1 ? 0 : (int) ((long) p * MAX / (size - 1));
    }

    /** The input report {@link SyntheticMouse#REPORT_DESCRIPTOR} describes: buttons, X, Y (u16 each), wheel. */
    byte[] report() {
        return new byte[] {(byte) buttons, (byte) x, (byte) (x >>> 8), (byte) y, (byte) (y >>> 8), (byte) wheel};
    }
}
