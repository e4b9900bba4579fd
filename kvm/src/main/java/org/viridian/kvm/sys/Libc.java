package org.viridian.kvm.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls Viridian needs, through java.lang.foreign. Each call captures errno in a per-thread buffer and throws
 * {@link NativeException} naming the call. Calls that can block (KVM_RUN) are never linked as "critical": a critical
 * call that blocks stalls every GC safepoint (see shared/reference/kvm-from-java.md).
 */
public final class Libc {
    public static final int O_RDWR = 2, O_CLOEXEC = 0x80000;
    public static final int PROT_READ = 1, PROT_WRITE = 2;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    public static final int MFD_CLOEXEC = 1;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_HUGEPAGE = 14;
    /** eventfd(2)'s close-on-exec flag (O_CLOEXEC). */
    public static final int EFD_CLOEXEC = 0x80000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), 2);
    private static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle IOCTL_PTR =
            link("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    private static final MethodHandle IOCTL_LONG =
            link("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle MMAP = link(
            "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle MUNMAP = link("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle MADVISE =
            link("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    private static final MethodHandle MINCORE =
            link("mincore", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), -1);
    private static final MethodHandle MEMFD_CREATE =
            link("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
    private static final MethodHandle FTRUNCATE =
            link("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    private static final MethodHandle EVENTFD =
            link("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle WRITE =
            link("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle READ =
            link("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    private static final MethodHandle GETTID = link("gettid", FunctionDescriptor.of(JAVA_INT), -1);
    private static final MethodHandle GETPID = link("getpid", FunctionDescriptor.of(JAVA_INT), -1);
    private static final MethodHandle SETPRIORITY =
            link("setpriority", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle TGKILL =
            link("tgkill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), -1);
    private static final MethodHandle PTHREAD_SIGMASK =
            link("pthread_sigmask", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), -1);
    private static final MethodHandle SIGTIMEDWAIT =
            link("sigtimedwait", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), -1);
    /** glibc's sigset_t is 1024 bits; the kernel's (as KVM_SET_SIGNAL_MASK takes it) is the first 64. */
    public static final int SIGSET_BYTES = 128;

    public static final int SIG_BLOCK = 0;

    /** errno buffer per calling thread: vCPU threads call concurrently. */
    private static final ThreadLocal<MemorySegment> ERRNO_BUF =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE));

    private Libc() {}

    private static MethodHandle link(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return firstVariadic < 0
                ? LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO)
                : LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MemorySegment errnoBuf() {
        return ERRNO_BUF.get();
    }

    private static int lastErrno(MemorySegment buf) {
        return (int) ERRNO.get(buf, 0L);
    }

    private static int check(String call, int rc, MemorySegment buf) {
        if (rc < 0) throw new NativeException(call, lastErrno(buf));
        return rc;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    public static int open(String path, int flags) {
        MemorySegment buf = errnoBuf();
        try (Arena a = Arena.ofConfined()) {
            return check("open(" + path + ")", (int) OPEN.invokeExact(buf, a.allocateFrom(path), flags), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void close(int fd) {
        MemorySegment buf = errnoBuf();
        try {
            check("close", (int) CLOSE.invokeExact(buf, fd), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with a pointer argument; {@code what} names the request in errors. Returns the (non-negative) result. */
    public static int ioctl(int fd, long request, MemorySegment arg, String what) {
        MemorySegment buf = errnoBuf();
        try {
            return check("ioctl(" + what + ")", (int) IOCTL_PTR.invokeExact(buf, fd, request, arg), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl with an integer argument. */
    public static int ioctl(int fd, long request, long arg, String what) {
        MemorySegment buf = errnoBuf();
        try {
            return check("ioctl(" + what + ")", (int) IOCTL_LONG.invokeExact(buf, fd, request, arg), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl that reports errno instead of throwing: returns -errno on failure (KVM_RUN's EINTR is routine). */
    public static int ioctlRaw(int fd, long request, long arg) {
        MemorySegment buf = errnoBuf();
        try {
            int rc = (int) IOCTL_LONG.invokeExact(buf, fd, request, arg);
            return rc < 0 ? -lastErrno(buf) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) {
        MemorySegment buf = errnoBuf();
        try {
            MemorySegment p =
                    (MemorySegment) MMAP.invokeExact(buf, MemorySegment.NULL, length, prot, flags, fd, offset);
            if (p.address() == -1L) throw new NativeException("mmap(" + length + " bytes)", lastErrno(buf));
            return p.reinterpret(length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void munmap(MemorySegment mapping) {
        MemorySegment buf = errnoBuf();
        try {
            check("munmap", (int) MUNMAP.invokeExact(buf, mapping, mapping.byteSize()), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void madvise(MemorySegment range, int advice) {
        MemorySegment buf = errnoBuf();
        try {
            check("madvise", (int) MADVISE.invokeExact(buf, range, range.byteSize(), advice), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * mincore(2): one byte per page of {@code range} (page-aligned) into {@code vec}, bit 0 set where the page is
     * resident. For a shared file mapping (a memfd) that is the file's page cache: the pages ever written and not
     * swapped out, whichever process touched them.
     */
    public static void mincore(MemorySegment range, MemorySegment vec) {
        MemorySegment buf = errnoBuf();
        try {
            check("mincore", (int) MINCORE.invokeExact(buf, range, range.byteSize(), vec), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int memfdCreate(String name, int flags) {
        MemorySegment buf = errnoBuf();
        try (Arena a = Arena.ofConfined()) {
            return check(
                    "memfd_create(" + name + ")",
                    (int) MEMFD_CREATE.invokeExact(buf, a.allocateFrom(name), flags),
                    buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void ftruncate(int fd, long length) {
        MemorySegment buf = errnoBuf();
        try {
            check("ftruncate", (int) FTRUNCATE.invokeExact(buf, fd, length), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int eventfd(int initial, int flags) {
        MemorySegment buf = errnoBuf();
        try {
            return check("eventfd", (int) EVENTFD.invokeExact(buf, initial, flags), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long write(int fd, MemorySegment data) {
        MemorySegment buf = errnoBuf();
        try {
            long rc = (long) WRITE.invokeExact(buf, fd, data, data.byteSize());
            if (rc < 0) throw new NativeException("write", lastErrno(buf));
            return rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long read(int fd, MemorySegment data) {
        MemorySegment buf = errnoBuf();
        try {
            long rc = (long) READ.invokeExact(buf, fd, data, data.byteSize());
            if (rc < 0) throw new NativeException("read", lastErrno(buf));
            return rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocks {@code signo} in the calling thread; returns the thread's previous mask as a 64-bit kernel sigset. */
    public static long blockSignal(int signo) {
        MemorySegment buf = errnoBuf();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = sigset(a, signo);
            MemorySegment old = a.allocate(SIGSET_BYTES, 8);
            int rc = (int) PTHREAD_SIGMASK.invokeExact(buf, SIG_BLOCK, set, old);
            if (rc != 0) throw new NativeException("pthread_sigmask", rc); // returns the error, not -1/errno
            return old.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Consumes a pending {@code signo} of the calling thread without waiting; true if one was pending. */
    public static boolean consumePendingSignal(int signo) {
        MemorySegment buf = errnoBuf();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment zero = a.allocate(16, 8); // struct timespec {0, 0}: poll
            int rc = (int) SIGTIMEDWAIT.invokeExact(buf, sigset(a, signo), MemorySegment.NULL, zero);
            return rc == signo;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sends {@code signo} to one thread of this process. */
    public static void tgkill(int tid, int signo) {
        MemorySegment buf = errnoBuf();
        try {
            int pid = (int) GETPID.invokeExact(buf);
            check("tgkill", (int) TGKILL.invokeExact(buf, pid, tid, signo), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment sigset(Arena a, int signo) {
        MemorySegment set = a.allocate(SIGSET_BYTES, 8);
        set.set(JAVA_LONG, 0, 1L << (signo - 1));
        return set;
    }

    /**
     * Sets the calling thread's nice value (Linux keeps one per thread: PRIO_PROCESS with its thread id); false where
     * refused (raising it back needs CAP_SYS_NICE). Threads and processes it starts inherit it.
     */
    public static boolean niceCallingThread(int nice) {
        MemorySegment buf = errnoBuf();
        try {
            return (int) SETPRIORITY.invokeExact(buf, 0 /* PRIO_PROCESS */, gettid(), nice) == 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The kernel thread id of the calling thread (the target of a vCPU kick). */
    public static int gettid() {
        MemorySegment buf = errnoBuf();
        try {
            return (int) GETTID.invokeExact(buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
