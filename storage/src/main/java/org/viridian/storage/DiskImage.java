package org.viridian.storage;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** An opened image file of some format: a block device plus what the format knows about itself. */
public interface DiskImage extends BlockDevice {
    ImageFormat format();

    ImageInfo info() throws IOException;

    /** The image itself when this object is only a view sharing it (e.g. a parent lent to a child during a merge). */
    default DiskImage unwrap() {
        return this;
    }

    /** The image this one is a difference against, if any. */
    default Optional<DiskImage> parent() {
        return Optional.empty();
    }

    /** Whether this file, not its parent, decides some of the range's content (what a merge must copy). */
    default boolean ownsRange(long offset, long length) throws IOException {
        return true;
    }

    /** Problems noticed while opening (only in tolerant mode) or by a deeper scan; empty when consistent. */
    default List<String> problems() throws IOException {
        return List.of();
    }

    /** Writes back what tolerant opening fixed in memory; returns what it did. */
    default List<String> repair() throws IOException {
        return List.of();
    }
}
