package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.viridian.storage.DiskImage;
import org.viridian.storage.ImageFormat;
import org.viridian.storage.ImageType;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.io.DeferredFlushStorage;
import org.viridian.storage.io.FileStorage;
import org.viridian.storage.io.Storage;
import org.viridian.storage.qcow2.Qcow2Image;
import org.viridian.storage.raw.RawImage;
import org.viridian.storage.vhd.VhdCreator;
import org.viridian.storage.vhd.VhdImage;
import org.viridian.storage.vhdx.VhdxCreator;
import org.viridian.storage.vhdx.VhdxImage;
import org.viridian.storage.vmdk.VmdkImage;

/** Opening and creating images of any format: the entry point of the library. */
public final class Images {
    private Images() {}

    /** The format from the file's content; the extension only decides between raw and an unrecognised file. */
    public static ImageFormat detect(Path path) throws IOException {
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "no such file");
        long size = Files.size(path);
        try (var ch = java.nio.channels.FileChannel.open(path)) {
            ByteBuffer head = ByteBuffer.allocate((int) Math.min(size, 64));
            ch.read(head, 0);
            String s = new String(head.array(), 0, head.position(), StandardCharsets.ISO_8859_1);
            if (s.startsWith("vhdxfile")) return ImageFormat.VHDX;
            if (s.startsWith("conectix")) return ImageFormat.VHD;
            if (s.startsWith("QFI\u00fb")) return ImageFormat.QCOW2;
            if (s.startsWith("KDMV") || s.startsWith("# Disk DescriptorFile")) return ImageFormat.VMDK;
            if (size >= 512) {
                ByteBuffer tail = ByteBuffer.allocate(8);
                ch.read(tail, size - 512);
                if (new String(tail.array(), StandardCharsets.ISO_8859_1).equals("conectix")) return ImageFormat.VHD;
            }
        }
        ImageFormat byName = ImageFormat.fromFileName(path);
        if (byName != null && byName != ImageFormat.RAW)
            throw new IOException(path + ": the name says " + byName.displayName() + " but the content is not a "
                    + byName.displayName() + " image");
        return ImageFormat.RAW;
    }

    public static DiskImage open(Path path, boolean readOnly) throws IOException {
        return open(path, null, new OpenOptions(readOnly, false, 0, Images::openParent));
    }

    private static DiskImage openParent(Path path, OpenOptions options) throws IOException {
        return open(path, null, options);
    }

    /** Opens with an explicit format (null: detect it). */
    public static DiskImage open(Path path, ImageFormat format, OpenOptions options) throws IOException {
        ImageFormat f = format != null ? format : detect(path);
        return open(path, f, options, FileStorage.open(path, options.readOnly() || !f.writable()));
    }

    /**
     * Opens an image just created by {@link #create} for filling: its write barriers are skipped, and with
     * {@code durable} one flush makes it durable at close (see DeferredFlushStorage).
     */
    static DiskImage openNewForFill(Path path, boolean durable) throws IOException {
        ImageFormat f = detect(path);
        return open(
                path,
                f,
                new OpenOptions(false, false, 0, Images::openParent),
                new DeferredFlushStorage(FileStorage.open(path, false), durable));
    }

    private static DiskImage open(Path path, ImageFormat f, OpenOptions options, Storage s) throws IOException {
        try {
            return switch (f) {
                case RAW -> new RawImage(s, path);
                case VHD -> VhdImage.open(s, path, options);
                case VHDX -> VhdxImage.open(s, path, options);
                case QCOW2 -> Qcow2Image.open(s, path, options);
                case VMDK -> VmdkImage.open(s, path);
            };
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public static void create(Path path, CreateOptions o) throws IOException {
        create(path, o, FileStorage::create);
    }

    /**
     * For a file that is filled next and only then renamed into place (convert, compact): created without write
     * barriers, as the fill itself (an fsync here waits for every other writer's journal commit on a busy disk).
     */
    static void createForFill(Path path, CreateOptions o) throws IOException {
        create(path, o, p -> new DeferredFlushStorage(FileStorage.create(p), false));
    }

    private static void create(Path path, CreateOptions o, Storage.Creator creator) throws IOException {
        if (Files.exists(path)) throw new IOException(path + ": file already exists");
        switch (o.format()) {
            case RAW -> RawImage.create(path, o.size(), creator);
            case VHD -> {
                if (o.type() == ImageType.FIXED) VhdCreator.createFixed(path, o.size(), creator);
                else if (o.type() == ImageType.DYNAMIC)
                    VhdCreator.createDynamic(
                            path,
                            o.size(),
                            (int) (o.blockSize() == 0 ? VhdCreator.DEFAULT_BLOCK_SIZE : o.blockSize()),
                            creator);
                else
                    try (DiskImage p = open(o.parent(), true)) {
                        if (!(p instanceof VhdImage v))
                            throw new IOException(o.parent() + ": the parent of a VHD must be a VHD");
                        VhdCreator.createDifferencing(path, o.parent(), v);
                    }
            }
            case VHDX -> {
                if (o.type() != ImageType.DIFFERENCING) {
                    VhdxCreator.create(
                            path,
                            o.size(),
                            o.blockSize() == 0 ? VhdxCreator.DEFAULT_BLOCK_SIZE : o.blockSize(),
                            o.type() == ImageType.FIXED,
                            creator);
                } else
                    try (DiskImage p = open(o.parent(), true)) {
                        if (!(p instanceof VhdxImage v))
                            throw new IOException(o.parent() + ": the parent of a VHDX must be a VHDX");
                        VhdxCreator.createDifferencing(
                                path,
                                o.parent(),
                                v,
                                o.blockSize() == 0 ? VhdxCreator.DEFAULT_DIFF_BLOCK_SIZE : o.blockSize());
                    }
            }
            default ->
                throw new IllegalArgumentException("cannot create " + o.format().displayName() + " images");
        }
    }

    /** The format to create for a path: the explicit one, else the extension's. */
    public static ImageFormat formatFor(Path path, String explicit) {
        if (explicit != null) return ImageFormat.parse(explicit);
        ImageFormat f = ImageFormat.fromFileName(path);
        if (f == null)
            throw new IllegalArgumentException(path
                    + ": cannot tell the format from the name; use .vhd, .vhdx, .img/.raw or name it with --format");
        return f;
    }
}
