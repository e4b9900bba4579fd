package org.viridian.devices.video;

/**
 * The guest's pointer as it last described it: visibility and position (pixels on the screen), and its shape (size,
 * hot spot, whether ARGB, the image bytes as sent).
 */
public record Pointer(
        boolean visible, int x, int y, int width, int height, int hotX, int hotY, boolean argb, byte[] image) {
    static final Pointer NONE = new Pointer(false, 0, 0, 0, 0, 0, 0, true, new byte[0]);

    public Pointer {
        image = image.clone();
    }

    @Override
    public byte[] image() {
        return image.clone();
    }

    Pointer moved(boolean visible, int x, int y) {
        return new Pointer(visible, x, y, width, height, hotX, hotY, argb, image);
    }

    Pointer shaped(int width, int height, int hotX, int hotY, boolean argb, byte[] image) {
        return new Pointer(visible, x, y, width, height, hotX, hotY, argb, image);
    }
}
