package org.viridian.storage.ops;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.viridian.storage.DiskImage;
import org.viridian.storage.FileExtent;
import org.viridian.storage.io.Bytes;
import org.viridian.storage.io.KernelCopy;

/**
 * Copies any readable image into a new VHD/VHDX/raw file. Sparse-aware: ranges the source reports as unallocated are
 * not read, and all-zero granules are not written, so the target stays sparse.
 *
 * <p>The copy is a pipeline: reader threads fill chunks (only the granules the source may hold data in, each run of
 * them in one read) and find their zero granules in place, while the calling thread writes the non-zero runs, in disk
 * order, so the target's layout is the same as a sequential copy's.
 *
 * <p>The target is filled under a temporary name next to it and only renamed to its name once complete and closed, so
 * a file under the target name is always a whole conversion; an interrupted one leaves at most the temporary file.
 */
public final class Converter {
    static final int CHUNK = 4 << 20;

    private static final java.util.concurrent.atomic.AtomicLong CONVERSIONS =
            new java.util.concurrent.atomic.AtomicLong();

    private Converter() {}

    /** As {@link #convert(DiskImage, Path, CreateOptions, Progress, boolean)}, not waiting for the disk. */
    public static long convert(DiskImage src, Path dst, CreateOptions target, Progress progress) throws IOException {
        return convert(src, dst, target, progress, false);
    }

    /**
     * Creates {@code dst} (which must not exist) with the source's size and content; returns bytes written. With
     * {@code durable} the file's content and its name are on the disk when this returns (fsync of the file before the
     * rename and of the directory after); without, they are in the page cache, as after {@code qemu-img convert}
     * (whose default cache mode, unsafe, never flushes).
     */
    public static long convert(DiskImage src, Path dst, CreateOptions target, Progress progress, boolean durable)
            throws IOException {
        return convert(src, dst, target, progress, durable, readers(), KERNEL_COPY);
    }

    /** With the reader threads and the kernel copy chosen (tests run both paths). */
    static long convert(
            DiskImage src,
            Path dst,
            CreateOptions target,
            Progress progress,
            boolean durable,
            int readers,
            boolean kernelCopy)
            throws IOException {
        if (Files.exists(dst)) throw new IOException(dst + ": file already exists");
        // Unique per conversion, also among the conversions one process runs at once (the disk tools' server).
        Path tmp = dst.resolveSibling(dst.getFileName() + ".convert-"
                + ProcessHandle.current().pid() + "-" + CONVERSIONS.incrementAndGet() + ".tmp");
        Files.deleteIfExists(tmp);
        Thread holes = askForHolesEarly(src);
        try {
            Images.createForFill(
                    tmp,
                    new CreateOptions(target.format(), target.type(), src.size(), target.blockSize(), target.parent()));
            long written;
            try (DiskImage out = Images.openNewForFill(tmp, durable)) {
                if (out.size() < src.size())
                    throw new IOException(
                            dst + ": created with " + out.size() + " bytes, less than the source's " + src.size());
                joinQuietly(holes);
                written = fill(src, out, progress, readers, kernelCopy);
                out.flush();
            }
            Files.move(tmp, dst);
            if (durable) syncDirectory(dst);
            return written;
        } catch (IOException | RuntimeException e) {
            joinQuietly(holes);
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * The source's first question about holes, on another thread while the target is created: for a raw file it binds
     * lseek(SEEK_DATA) through FFM, whose stubs are generated at first use (a few tens of ms of a short conversion).
     * Its answer is not used here; a failure shows again when the copy asks.
     */
    private static Thread askForHolesEarly(DiskImage src) {
        Thread t = new Thread(
                () -> {
                    try {
                        src.mayHaveData(0, Math.min(src.size(), GRANULE));
                    } catch (IOException | RuntimeException e) {
                        // Asked again, and reported, by the copy.
                    }
                },
                "convert-holes");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Nothing may touch the source after the conversion: the caller closes it. */
    private static void joinQuietly(Thread t) {
        uninterruptibly(() -> {
            t.join();
            return true;
        });
    }

    @FunctionalInterface
    private interface Wait {
        boolean done() throws InterruptedException;
    }

    /**
     * Waits until {@code wait} says done, also when interrupted (a cancelled conversion must still not leave a thread
     * on the source it is about to close), and keeps the interrupt for the caller.
     */
    private static void uninterruptibly(Wait wait) {
        boolean interrupted = false;
        while (true) {
            try {
                if (wait.done()) break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Reader threads: one per core beyond the writer's, at least one, at most three. */
    static int readers() {
        return Math.max(1, Math.min(3, Runtime.getRuntime().availableProcessors() - 1));
    }

    private static void syncDirectory(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot open or sync a directory; the file itself is already on the disk.
        }
    }

    /**
     * Non-zero disk bytes [diskOffset, +length): in the chunk's buffer when {@code file} is null, else unchanged at
     * {@code fileOffset} of the source's {@code file}, for the kernel to copy.
     */
    private record Piece(long diskOffset, int length, Path file, long fileOffset) {}

    private record Chunk(long offset, ByteBuffer buf, List<Piece> pieces) {}

    /**
     * Copies the content of {@code src} into the fresh (all-zero) {@code dst}: reads on {@code readers} threads, writes
     * on this one; with {@code kernelCopy}, what lies unchanged in the source's file and can be placed in the target's
     * is copied file to file by the kernel (see {@link #read} for how its zeros are found without copying it).
     * Returns the bytes written.
     */
    static long fill(DiskImage src, DiskImage dst, Progress progress, int readers, boolean kernelCopy)
            throws IOException {
        long size = src.size(), written = 0;
        int window = readers * 2;
        ExecutorService pool = Executors.newFixedThreadPool(readers, r -> {
            Thread t = new Thread(r, "convert-read");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<Chunk>> inflight = new ArrayDeque<>();
        ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
        List<ByteBuffer> taken = new ArrayList<>();
        try (KernelCopy copier = new KernelCopy()) {
            Writer w = new Writer(src, dst, copier);
            try {
                for (long off = 0; off < size; off += CHUNK) {
                    int n = (int) Math.min(CHUNK, size - off);
                    if (!src.mayHaveData(off, n)) continue;
                    if (inflight.size() == window) written += w.write(take(inflight.poll()), free, size, progress);
                    ByteBuffer b = free.poll();
                    if (b == null) {
                        b = Buffers.take();
                        taken.add(b);
                    }
                    ByteBuffer chunk = b;
                    long at = off;
                    inflight.add(pool.submit(() -> read(src, chunk, at, n, kernelCopy)));
                }
                while (!inflight.isEmpty()) written += w.write(take(inflight.poll()), free, size, progress);
            } finally {
                // No interrupts: one would close the source's FileChannel under a running read. A chunk read is short.
                for (Future<Chunk> f : inflight) f.cancel(false);
                pool.shutdown();
                // Nothing may touch the source (or the mappings) after this: the caller closes it.
                uninterruptibly(() -> pool.awaitTermination(1, TimeUnit.SECONDS));
                // No reader holds one now.
                Buffers.give(taken);
            }
        }
        progress.update(size, size);
        return written;
    }

    static long fill(DiskImage src, DiskImage dst, Progress progress, int readers) throws IOException {
        return fill(src, dst, progress, readers, KERNEL_COPY);
    }

    /**
     * Chunk buffers kept for the next conversion of this process (the disk tools' server runs many): a fresh 4 MiB
     * direct buffer is zeroed and faulted in page by page, 15 ms of a short conversion on a virtual machine. At most
     * {@link #KEPT} are kept (24 MiB), more are left to the collector.
     */
    static final class Buffers {
        static final int KEPT = 6;
        private static final java.util.concurrent.ConcurrentLinkedDeque<ByteBuffer> IDLE =
                new java.util.concurrent.ConcurrentLinkedDeque<>();

        private Buffers() {}

        static ByteBuffer take() {
            ByteBuffer b = IDLE.poll();
            return b != null ? b.clear() : ByteBuffer.allocateDirect(CHUNK);
        }

        static void give(List<ByteBuffer> buffers) {
            for (ByteBuffer b : buffers) if (IDLE.size() < KEPT) IDLE.push(b);
        }
    }

    /** Off only to measure or test the buffer path alone: -Dviridian.convert.kernelCopy=false. */
    static final boolean KERNEL_COPY = !"false".equals(System.getProperty("viridian.convert.kernelCopy"));

    private static Chunk take(Future<Chunk> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("conversion interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IOException(e.getCause());
        }
    }

    /** The writing side, on the calling thread: pieces in disk order, through the kernel where it can. */
    private static final class Writer {
        private final DiskImage src, dst;
        private final KernelCopy copier;
        private ByteBuffer bounce;

        Writer(DiskImage src, DiskImage dst, KernelCopy copier) {
            this.src = src;
            this.dst = dst;
            this.copier = copier;
        }

        long write(Chunk c, ArrayDeque<ByteBuffer> free, long size, Progress progress) throws IOException {
            progress.update(c.offset(), size);
            long written = 0;
            for (Piece p : c.pieces()) {
                if (p.file() == null) {
                    int from = (int) (p.diskOffset() - c.offset());
                    dst.write(c.buf().slice(from, p.length()), p.diskOffset());
                } else {
                    copy(p);
                }
                written += p.length();
            }
            free.add(c.buf());
            return written;
        }

        private void copy(Piece p) throws IOException {
            long done = 0;
            while (done < p.length()) {
                FileExtent t = dst.allocateExtent(p.diskOffset() + done, p.length() - done);
                if (t != null) {
                    copier.copy(p.file(), p.fileOffset() + done, t.file(), t.offset(), t.length());
                    done += t.length();
                    continue;
                }
                // The target cannot take it in place: through a buffer.
                if (bounce == null) bounce = ByteBuffer.allocateDirect(CHUNK);
                int n = (int) Math.min(p.length() - done, CHUNK);
                src.read(bounce.clear().limit(n), p.diskOffset() + done);
                dst.write(bounce.flip(), p.diskOffset() + done);
                done += n;
            }
        }
    }

    /** Zero detection granule: small enough to keep targets sparse, large enough to keep writes few (as qemu-img). */
    static final int GRANULE = 64 << 10;

    /** How much of a granule is read to see that it is not all zeros (see {@link #read}). */
    static final int PROBE = 4096;

    /**
     * The non-zero pieces of [off, off+n), granule by granule. Unallocated granules are skipped unread. Of a granule
     * lying unchanged in the source's file only the first 4 KiB are read: data rarely starts with a zero page, and if
     * those are not all zeros the granule is data, left in the file for the kernel to copy. The other granules (and
     * those starting with zeros) are read into {@code buf}, each run of them in one read, and checked there; one that
     * is not all zeros but lies in the file is still left to the kernel, so it joins its neighbours' copy instead of
     * splitting it in two. (A read-only mapping of the
     * source avoided even the probe's copy but was slower: its page faults cost more here.)
     */
    static Chunk read(DiskImage src, ByteBuffer buf, long off, int n, boolean kernelCopy) throws IOException {
        List<Piece> pieces = new ArrayList<>();
        FileExtent[] inFile = new FileExtent[Math.ceilDiv(n, GRANULE)];
        int pending = -1; // start of a run of granules to read into buf
        for (int at = 0; at < n; ) {
            int len = Math.min(GRANULE, n - at);
            boolean data = src.mayHaveData(off + at, len);
            boolean copied = false;
            if (data && kernelCopy && len > PROBE) {
                FileExtent x = src.fileExtent(off + at, len);
                if (x != null && x.length() == len) {
                    ByteBuffer probe = buf.clear().slice(at, PROBE);
                    src.read(probe, off + at);
                    if (!Bytes.isZero(probe.flip())) {
                        copied = true;
                        add(pieces, new Piece(off + at, len, x.file(), x.offset()));
                    } else {
                        inFile[at / GRANULE] = x;
                    }
                }
            }
            if (data && !copied) {
                if (pending < 0) pending = at;
            } else if (pending >= 0) {
                readRun(src, buf, off, pending, at, inFile, pieces);
                pending = -1;
            }
            at += len;
        }
        if (pending >= 0) readRun(src, buf, off, pending, n, inFile, pieces);
        return new Chunk(off, buf, pieces);
    }

    private static void readRun(
            DiskImage src, ByteBuffer buf, long off, int from, int to, FileExtent[] inFile, List<Piece> pieces)
            throws IOException {
        src.read(buf.clear().limit(to).position(from), off + from);
        for (int g = from; g < to; g += GRANULE) {
            int len = Math.min(GRANULE, to - g);
            if (Bytes.isZero(buf.slice(g, len))) continue;
            FileExtent x = inFile[g / GRANULE];
            add(pieces, x != null ? new Piece(off + g, len, x.file(), x.offset()) : new Piece(off + g, len, null, 0));
        }
    }

    /** Appends, merging with the last piece when both are in the buffer, or contiguous in one file. */
    private static void add(List<Piece> pieces, Piece p) {
        if (!pieces.isEmpty()) {
            Piece last = pieces.get(pieces.size() - 1);
            boolean adjacent = last.diskOffset() + last.length() == p.diskOffset();
            boolean sameFile = last.file() == null
                    ? p.file() == null
                    : p.file() != null
                            && last.file().equals(p.file())
                            && last.fileOffset() + last.length() == p.fileOffset();
            if (adjacent && sameFile) {
                pieces.set(
                        pieces.size() - 1,
                        new Piece(last.diskOffset(), last.length() + p.length(), last.file(), last.fileOffset()));
                return;
            }
        }
        pieces.add(p);
    }

    /** Copies the content of {@code src} into {@code dst}; with {@code ownedOnly} only what src itself holds. */
    public static long copy(DiskImage src, DiskImage dst, boolean ownedOnly, int chunk, Progress progress)
            throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
        long size = src.size(), written = 0;
        for (long off = 0; off < size; off += chunk) {
            int n = (int) Math.min(chunk, size - off);
            progress.update(off, size);
            if (ownedOnly ? !src.ownsRange(off, n) : !src.mayHaveData(off, n)) continue;
            buf.clear().limit(n);
            src.read(buf, off);
            buf.flip();
            // A merge must write zeros the child holds over parent data; a fresh target already reads zeros.
            if (ownedOnly) {
                dst.write(buf, off);
                written += n;
            } else {
                written += writeNonZeroRuns(dst, buf, off);
            }
        }
        progress.update(size, size);
        return written;
    }

    /** Writes only the runs of non-zero granules of {@code buf}, each run as one write; returns bytes written. */
    private static long writeNonZeroRuns(DiskImage dst, ByteBuffer buf, long off) throws IOException {
        long written = 0;
        int n = buf.remaining(), runStart = -1;
        for (int at = 0; at <= n; at += GRANULE) {
            boolean data = at < n && !Bytes.isZero(buf.slice(at, Math.min(GRANULE, n - at)));
            if (data && runStart < 0) runStart = at;
            if (!data && runStart >= 0) {
                int end = Math.min(at, n);
                dst.write(buf.slice(runStart, end - runStart), off + runStart);
                written += end - runStart;
                runStart = -1;
            }
        }
        return written;
    }
}
