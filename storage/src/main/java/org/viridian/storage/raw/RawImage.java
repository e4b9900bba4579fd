package org.viridian.storage.raw;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.viridian.storage.DiskImage;
import org.viridian.storage.FileExtent;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageInfo;
import org.viridian.storage.ImageType;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.io.Storage;

/** A raw image: the file is the disk. FileChannel positional I/O is safe for concurrent callers. */
public final class RawImage implements DiskImage {
    private final Storage storage;
    private final Path path;
    private long size;

    public RawImage(Storage storage, Path path) throws IOException {
        this.storage = storage;
        this.path = path;
        this.size = storage.size();
    }

    public static void create(Path path, long size) throws IOException {
        create(path, size, FileStorage::create);
    }

    public static void create(Path path, long size, Storage.Creator creator) throws IOException {
        if (size <= 0) throw new IllegalArgumentException("size must be positive");
        try (Storage s = creator.create(path)) {
            s.setSize(size);
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean readOnly() {
        return storage.readOnly();
    }

    @Override
    public void read(ByteBuffer dst, long offset) throws IOException {
        checkRange(offset, dst.remaining());
        storage.read(dst, offset);
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        if (readOnly()) throw new IOException(storage.name() + ": image is open read-only");
        checkRange(offset, src.remaining());
        storage.write(src, offset);
    }

    @Override
    public FileExtent fileExtent(long offset, long length) {
        checkRange(offset, length);
        return storage.file() == null ? null : new FileExtent(storage.file(), offset, length);
    }

    @Override
    public FileExtent allocateExtent(long offset, long length) {
        return readOnly() ? null : fileExtent(offset, length);
    }

    /** Holes of a sparse raw file read as zeros: copies and merges skip them. */
    @Override
    public boolean mayHaveData(long offset, long length) throws IOException {
        return storage.mayHaveData(offset, length);
    }

    public void resize(long newSize) throws IOException {
        storage.setSize(newSize);
        storage.flush();
        size = newSize;
    }

    @Override
    public void flush() throws IOException {
        storage.flush();
    }

    @Override
    public void close() throws IOException {
        storage.close();
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.RAW;
    }

    @Override
    public ImageInfo info() throws IOException {
        long allocated = size;
        try {
            if (java.nio.file.Files.getAttribute(path, "unix:blocks") instanceof Long blocks)
                allocated = Math.min(size, blocks * 512);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // Not a POSIX file system: report the apparent size.
        }
        return new ImageInfo(
                path.toString(),
                ImageFormat.RAW,
                ImageType.FIXED,
                size,
                size,
                allocated,
                0,
                null,
                new LinkedHashMap<>());
    }
}
