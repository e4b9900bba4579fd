package org.viridian.devices.video;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** A picture of the guest's screen: {@code width} x {@code height} pixels as 0xRRGGBB, row by row. */
public record Framebuffer(int width, int height, int[] pixels) {
    public Framebuffer {
        if (width < 1 || height < 1 || (long) width * height != pixels.length)
            throw new IllegalArgumentException(width + "x" + height + " with " + pixels.length + " pixels");
    }

    public int pixel(int x, int y) {
        return pixels[y * width + x];
    }

    /** The most frequent colour: the background of a text console. */
    public int background() {
        java.util.HashMap<Integer, Integer> counts = new java.util.HashMap<>();
        int best = pixels[0], most = 0;
        for (int p : pixels) {
            int n = counts.merge(p, 1, Integer::sum);
            if (n > most) {
                most = n;
                best = p;
            }
        }
        return best;
    }

    /** Pixels of another colour than {@code color} inside x0 ≤ x < x1, y0 ≤ y < y1 (clipped to the picture). */
    public int pixelsOtherThan(int color, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(height, y1); y++)
            for (int x = Math.max(0, x0); x < Math.min(width, x1); x++) if (pixels[y * width + x] != color) n++;
        return n;
    }

    /** The picture as a PNG file's bytes. */
    public byte[] png() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, pixels, 0, width);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a memory stream does not fail
        }
        return out.toByteArray();
    }
}
