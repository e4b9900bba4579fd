package org.viridian.storage.ops;

import java.nio.file.Path;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;

/** What to create: {@code blockSize} 0 picks the format's default; {@code parent} only for differencing. */
public record CreateOptions(ImageFormat format, ImageType type, long size, long blockSize, Path parent) {
    public CreateOptions {
        if (!format.writable())
            throw new IllegalArgumentException(
                    "cannot write " + format.displayName() + " images (only raw, vhd and vhdx)");
        if (type == ImageType.DIFFERENCING && parent == null)
            throw new IllegalArgumentException("a differencing image needs a parent (--parent)");
        if (type != ImageType.DIFFERENCING && parent != null)
            throw new IllegalArgumentException("--parent is only for differencing images");
        if (type == ImageType.DIFFERENCING && format == ImageFormat.RAW)
            throw new IllegalArgumentException("raw images cannot be differencing");
        if (type != ImageType.DIFFERENCING && size <= 0)
            throw new IllegalArgumentException("size must be positive (--size)");
        if (blockSize < 0) throw new IllegalArgumentException("block size must be positive");
    }
}
