package org.viridian.devices.netvsp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls a TAP port needs (open, ioctl, read, write, poll, close), through java.lang.foreign, with errno
 * captured per call. Kept here rather than shared with the KVM binding: devices do not depend on the kvm module.
 * None is linked "critical": read and poll block.
 */
final class Libc {
    static final int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    static final int POLLIN = 1;
    static final int EAGAIN = 11, EINTR = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MemoryLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno")).withInvokeExactBehavior();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), 2);
    private static final MethodHandle IOCTL =
            link("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle READ =
            link("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle WRITE =
            link("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle POLL =
            link("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);

    /** errno per calling thread: the reader thread and VP threads call at once. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE));

    private Libc() {}

    private static MethodHandle link(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return firstVariadic < 0
                ? LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO)
                : LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    /** The errno of this thread's last failed call. */
    static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    static int open(String path, int flags) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(STATE.get(), a.allocateFrom(path), flags);
            if (fd < 0) throw new IOException("open " + path + ": errno " + errno());
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void ioctl(int fd, long request, MemorySegment arg, String what) throws IOException {
        int r;
        try {
            r = (int) IOCTL.invokeExact(STATE.get(), fd, request, arg);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        if (r < 0) throw new IOException(what + ": errno " + errno());
    }

    /** Bytes read, or -1 with {@link #errno()} set. */
    static long read(int fd, MemorySegment buf, long len) {
        try {
            return (long) READ.invokeExact(STATE.get(), fd, buf, len);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Bytes written, or -1 with {@link #errno()} set. */
    static long write(int fd, MemorySegment buf, long len) {
        try {
            return (long) WRITE.invokeExact(STATE.get(), fd, buf, len);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** poll(2) on {@code fds} (struct pollfd entries); ready descriptors, 0 on timeout, -1 on error. */
    static int poll(MemorySegment fds, long count, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(STATE.get(), fds, count, timeoutMillis);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(STATE.get(), fd); // nothing to do about a failed close
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
