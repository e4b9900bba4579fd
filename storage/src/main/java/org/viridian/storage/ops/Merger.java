package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.OpenOptions;

/**
 * Merges a differencing image into its parent: every block the child holds is written into the parent, which is
 * open read-write (exclusive lock) while the child reads through it. The child is left in place; a VHDX child no
 * longer matches its parent afterwards.
 */
public final class Merger {
    private Merger() {}

    public static Path merge(Path child, Progress progress) throws IOException {
        Path parentPath;
        try (DiskImage c = Images.open(child, true)) {
            ImageInfo info = c.info();
            if (info.parent() == null) throw new IOException(child + ": not a differencing image, nothing to merge");
            parentPath = Path.of(info.parent());
        }
        try (DiskImage parent = Images.open(parentPath, false)) {
            DiskImage shared = new Unclosable(parent);
            OpenOptions o = new OpenOptions(
                    true,
                    false,
                    0,
                    (p, opts) -> p.toAbsolutePath()
                                    .normalize()
                                    .equals(parentPath.toAbsolutePath().normalize())
                            ? shared
                            : Images.open(p, null, opts));
            try (DiskImage c = Images.open(child, null, o)) {
                long bs = c.info().blockSize();
                Converter.copy(
                        c, parent, true, (int) Math.min(Converter.CHUNK, bs > 0 ? bs : Converter.CHUNK), progress);
            }
            parent.flush();
        }
        return parentPath;
    }

    /** The parent as the child sees it: closing the child must not close the parent under the merge. */
    private record Unclosable(DiskImage d) implements DiskImage {
        public long size() {
            return d.size();
        }

        public boolean readOnly() {
            return d.readOnly();
        }

        public void read(ByteBuffer dst, long offset) throws IOException {
            d.read(dst, offset);
        }

        public void write(ByteBuffer src, long offset) throws IOException {
            d.write(src, offset);
        }

        public void flush() throws IOException {
            d.flush();
        }

        public boolean mayHaveData(long offset, long length) throws IOException {
            return d.mayHaveData(offset, length);
        }

        public void close() {}

        public org.viridian.storage.ImageFormat format() {
            return d.format();
        }

        public ImageInfo info() throws IOException {
            return d.info();
        }

        public Optional<DiskImage> parent() {
            return d.parent();
        }

        public DiskImage unwrap() {
            return d;
        }
    }
}
