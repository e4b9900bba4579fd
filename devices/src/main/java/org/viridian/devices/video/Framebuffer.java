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
