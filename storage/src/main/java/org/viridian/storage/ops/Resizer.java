package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.file.Path;
import org.viridian.storage.DiskImage;
import org.viridian.storage.raw.RawImage;
import org.viridian.storage.vhd.VhdImage;
import org.viridian.storage.vhdx.VhdxImage;

/** Changes an image's virtual size. Shrinking is refused unless the part cut off reads as zeros. */
public final class Resizer {
    private Resizer() {}

    public static void resize(Path path, long newSize) throws IOException {
        if (newSize <= 0) throw new IllegalArgumentException("size must be positive");
        try (DiskImage img = Images.open(path, false)) {
            if (newSize < img.size() && !Zeros.isZero(img, newSize, img.size() - newSize)) {
                throw new IOException(
                        path + ": cannot shrink to " + newSize + " bytes: data is stored past that point");
            }
            switch (img) {
                case VhdImage v -> v.resize(newSize);
                case VhdxImage x -> x.resize(newSize);
                case RawImage r -> r.resize(newSize);
                default ->
                    throw new IOException(
                            path + ": resizing " + img.format().displayName() + " images is not supported");
            }
        }
    }
}
