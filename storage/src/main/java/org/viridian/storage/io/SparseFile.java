package org.viridian.storage.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Where a file's holes are, from the kernel (lseek SEEK_DATA), so copies can skip what was never written, as qemu-img
 * does. Java has no API for it, so this is a small FFM binding on its own read-only descriptor of the file. Where the
 * file system cannot answer, every range is reported as possibly holding data.
 */
final class SparseFile implements AutoCloseable {
    private static final int O_RDONLY = 0, O_CLOEXEC = 0x80000, SEEK_DATA = 3, ENXIO = 6;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE = Linker.Option.captureStateLayout()
            .varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LSEEK = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("lseek"),
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            ERRNO);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final int SEEK_HOLE = 4;

    private final int fd;
    /**
     * The last interval the kernel described, [knownFrom, knownTo), all data or all hole: a copy asks about each
     * granule in order, and this answers most of those questions without a system call.
     */
    private long knownFrom = -1, knownTo = -1;

    private boolean knownData;

    /** Only a file nobody writes while it is open may keep answers (writes would fill remembered holes). */
    private final boolean remembers;

    private SparseFile(int fd, boolean remembers) {
        this.fd = fd;
        this.remembers = remembers;
    }

    /** Null when the file cannot be opened this way (then callers assume data everywhere). */
    static SparseFile open(Path path, boolean unchanging) {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(a.allocateFrom(path.toAbsolutePath().toString()), O_RDONLY | O_CLOEXEC);
            return fd < 0 ? null : new SparseFile(fd, unchanging);
        } catch (Throwable t) {
            return null;
        }
    }

    /** False only when the kernel says [position, position+length) lies entirely in a hole. */
    boolean mayHaveData(long position, long length) throws IOException {
        if (position >= knownFrom && position < knownTo)
            return knownData || (position + length > knownTo && mayHaveData(knownTo, position + length - knownTo));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            long next = (long) LSEEK.invokeExact(state, fd, position, SEEK_DATA);
            if (next < 0) {
                // ENXIO: no data at or after position. Anything else (EINVAL: not supported): assume data.
                if ((int) ERRNO_VALUE.get(state, 0L) != ENXIO) return true;
                remember(position, Long.MAX_VALUE, false);
                return false;
            }
            if (next > position) {
                remember(position, next, false);
                return next < position + length;
            }
            long hole = (long) LSEEK.invokeExact(state, fd, position, SEEK_HOLE);
            if (hole > position) remember(position, hole, true);
            return true;
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("lseek(SEEK_DATA) failed", t);
        }
    }

    private void remember(long from, long to, boolean data) {
        if (!remembers) return;
        knownFrom = from;
        knownTo = to;
        knownData = data;
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // Closing a read-only descriptor cannot lose data.
        }
    }
}
