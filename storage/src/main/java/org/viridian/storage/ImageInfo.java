package org.viridian.storage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code info} reports about an image. {@code details} holds format-specific fields in a stable order.
 * {@code blockSize} is 0 when the format has no blocks.
 */
public record ImageInfo(
        String file,
        ImageFormat format,
        ImageType type,
        long virtualSize,
        long fileSize,
        long allocatedBytes,
        long blockSize,
        String parent,
        Map<String, String> details) {
    public ImageInfo {
        details = new LinkedHashMap<>(details);
    }
}
