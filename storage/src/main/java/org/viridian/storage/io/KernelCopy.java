package org.viridian.storage.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies between files inside the kernel (copy_file_range): one copy from the source's page cache to the target's,
 * where read and write would make two, through a buffer. Java's FileChannel.transferTo does the same but only at the
 * target channel's position; this is positional, on descriptors of its own. Descriptors are opened per path on first
 * use and closed with this object. Where the kernel or file system cannot (old kernels, some file systems), {@link
 * #copy} says so and the caller copies through a buffer.
 */
public final class KernelCopy implements AutoCloseable {
    private static final int O_RDONLY = 0, O_WRONLY = 1, O_CLOEXEC = 0x80000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE =
            Linker.Option.captureStateLayout().varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle COPY = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("copy_file_range"),
            FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT),
            ERRNO);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final int EINTR = 4;

    private final Map<Path, Integer> readers = new HashMap<>(), writers = new HashMap<>();
    private boolean unsupported;

    /**
     * Copies {@code length} bytes at {@code fromOffset} of {@code from} to {@code toOffset} of {@code to}. False, with
     * nothing or part copied, when the kernel cannot do it here (the caller then copies all of it itself; a partial
     * copy is simply overwritten).
     */
    public boolean copy(Path from, long fromOffset, Path to, long toOffset, long length) throws IOException {
        if (unsupported) return false;
        int in = fd(readers, from, O_RDONLY), out = fd(writers, to, O_WRONLY);
        if (in < 0 || out < 0) return false;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Linker.Option.captureStateLayout());
            MemorySegment offIn = a.allocate(ValueLayout.JAVA_LONG), offOut = a.allocate(ValueLayout.JAVA_LONG);
            offIn.set(ValueLayout.JAVA_LONG, 0, fromOffset);
            offOut.set(ValueLayout.JAVA_LONG, 0, toOffset);
            long left = length;
            while (left > 0) {
                long n = (long) COPY.invokeExact(state, in, offIn, out, offOut, left, 0);
                if (n > 0) {
                    left -= n;
                } else if (n < 0 && (int) ERRNO_VALUE.get(state, 0L) == EINTR) {
                    continue;
                } else if (n == 0) {
                    throw new IOException(from + ": copy_file_range found the end of the file at "
                            + offIn.get(ValueLayout.JAVA_LONG, 0) + ", inside the range to copy");
                } else {
                    // EXDEV, EINVAL, ENOSYS, EOPNOTSUPP...: this kernel or file system cannot; a real I/O error will
                    // show again when the caller reads or writes itself.
                    unsupported = true;
                    return false;
                }
            }
            return true;
        } catch (Error | RuntimeException | IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("copy_file_range failed", t);
        }
    }

    private static int fd(Map<Path, Integer> fds, Path p, int flags) {
        return fds.computeIfAbsent(p, k -> {
            try (Arena a = Arena.ofConfined()) {
                return (int) OPEN.invokeExact(a.allocateFrom(k.toAbsolutePath().toString()), flags | O_CLOEXEC);
            } catch (Throwable t) {
                return -1;
            }
        });
    }

    @Override
    public void close() {
        for (Map<Path, Integer> m : java.util.List.of(readers, writers)) {
            for (int fd : m.values()) {
                if (fd < 0) continue;
                try {
                    int ignored = (int) CLOSE.invokeExact(fd);
                } catch (Throwable t) {
                    // Nothing to lose: writes through this descriptor went to the page cache already.
                }
            }
            m.clear();
        }
    }
}
