package org.viridian.app.acceptance;

import java.awt.image.BufferedImage;

/**
 * How a VNC client's screenshot compares with the host's copy of the screen. Debian's vncsnapshot writes only JPEG,
 * so the two are compared within JPEG's loss: a small mean error per channel and few pixels far off.
 *
 * @param meanError the mean absolute difference per colour channel (0-255)
 * @param farPixels the pixels whose channels differ by more than 96 in all
 * @param textPixels the host copy's pixels in its top 32 lines that are not the background (the guest's text)
 */
record VncPicture(int width, int height, double meanError, long farPixels, long textPixels) {

    static VncPicture compare(BufferedImage host, BufferedImage snap) {
        if (snap.getWidth() != host.getWidth() || snap.getHeight() != host.getHeight())
            throw new AssertionError("the VNC picture is %dx%d, the host's copy %dx%d"
                    .formatted(snap.getWidth(), snap.getHeight(), host.getWidth(), host.getHeight()));
        int w = host.getWidth(), h = host.getHeight();
        long total = 0, far = 0, lit = 0;
        int bg = host.getRGB(w - 1, h - 1) & 0xFFFFFF;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int a = host.getRGB(x, y) & 0xFFFFFF, c = snap.getRGB(x, y) & 0xFFFFFF;
                int d = Math.abs((a >>> 16) - (c >>> 16))
                        + Math.abs((a >>> 8 & 0xFF) - (c >>> 8 & 0xFF))
                        + Math.abs((a & 0xFF) - (c & 0xFF));
                total += d;
                if (d > 96) far++;
                if (y < 32 && a != bg) lit++;
            }
        return new VncPicture(w, h, (double) total / ((long) w * h) / 3, far, lit);
    }

    /** Equal within JPEG's loss: mean error under 3 per channel, under 0.5 % of the pixels far off. */
    boolean sameScreen() {
        return meanError < 3.0 && farPixels < (long) width * height / 200;
    }

    @Override
    public String toString() {
        return "%dx%d: mean error %.2f per channel, %d pixels off by more than 96, %d text pixels in the top lines"
                .formatted(width, height, meanError, farPixels, textPixels);
    }
}
