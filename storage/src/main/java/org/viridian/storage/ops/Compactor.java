package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;

/**
 * Reclaims blocks that read as zeros by copying the image (sparse-aware) into a fresh file of the same format,
 * type and block size, then renaming it over the original. Returns the bytes saved.
 */
public final class Compactor {
    private Compactor() {}

    public static long compact(Path path, Progress progress) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".compact.tmp");
        Files.deleteIfExists(tmp);
        long before = Files.size(path);
        try (DiskImage img = Images.open(path, false)) {
            ImageInfo info = img.info();
            if (info.type() == ImageType.DIFFERENCING)
                throw new IOException(path + ": compacting differencing images is not supported (merge it first)");
            if (!info.format().writable())
                throw new IOException(path + ": cannot rewrite " + info.format().displayName() + " images");
            Converter.convert(
                    img,
                    tmp,
                    new CreateOptions(info.format(), info.type(), img.size(), info.blockSize(), null),
                    progress,
                    // It replaces the image: the new content must be on the disk before the rename.
                    true);
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return before - Files.size(path);
    }
}
