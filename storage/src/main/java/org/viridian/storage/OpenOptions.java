package org.viridian.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * How to open an image. {@code tolerant}: record field errors as problems (bad entries are ignored) instead of
 * failing, for check/repair. {@code parents} opens the parent of a differencing image; when null the parent is not
 * opened (maintenance only:
 * its sectors then read as zeros).
 */
public record OpenOptions(boolean readOnly, boolean tolerant, int depth, ParentOpener parents) {
    /** Deep chains are legal but a cycle must not recurse forever. */
    public static final int MAX_CHAIN_DEPTH = 64;

    @FunctionalInterface
    public interface ParentOpener {
        DiskImage open(Path path, OpenOptions options) throws IOException;
    }

    public DiskImage openParent(Path path) throws IOException {
        if (depth >= MAX_CHAIN_DEPTH)
            throw new CorruptImageException(path + ": parent chain deeper than " + MAX_CHAIN_DEPTH + " (a cycle?)");
        if (parents == null) throw new IOException(path + ": no way to open parent images here");
        return parents.open(path, new OpenOptions(true, false, depth + 1, parents));
    }
}
