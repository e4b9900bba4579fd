package org.viridian.management.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.viridian.devices.video.Framebuffer;

/** Reads a PNG with the JDK's own decoder (an independent check of the service's encoder) into a Framebuffer. */
public final class Png {
    private Png() {}

    public static Framebuffer read(byte[] png) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            if (img == null) throw new AssertionError("not a PNG (" + png.length + " bytes)");
            int w = img.getWidth(), h = img.getHeight();
            return new Framebuffer(w, h, img.getRGB(0, 0, w, h, null, 0, w)).masked();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
