package org.viridian.confine.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import org.viridian.confine.seccomp.Syscall;

/**
 * System calls through java.lang.foreign: the raw {@code syscall(2)} entry for the calls glibc has no wrapper for
 * (seccomp, capset, mount_setattr) or that must reach the kernel as written (the probes of the tests), and glibc's own
 * {@code setresuid}/{@code setresgid}/{@code setgroups}, which — unlike the raw calls — apply to every thread of the
 * process (glibc's "setxid" broadcast), as the JVM's threads all must change user together.
 */
public final class Sys {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle SYSCALL = LINKER.downcallHandle(
            symbol("syscall"),
            FunctionDescriptor.of(
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SETRESUID = libc3("setresuid");
    private static final MethodHandle SETRESGID = libc3("setresgid");
    private static final MethodHandle SETGROUPS = LINKER.downcallHandle(
            symbol("setgroups"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), CAPTURE_ERRNO);

    private static final ThreadLocal<MemorySegment> ERRNO_BUF =
            ThreadLocal.withInitial(() -> Arena.global().allocate(CAPTURE));

    private Sys() {}

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
    }

    private static MethodHandle libc3(String name) {
        return LINKER.downcallHandle(
                symbol(name), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    }

    /** The call's result, or {@code -errno} when it failed: the form the probes print and the callers check. */
    public static long raw(Syscall call, long... args) {
        if (args.length > 6) throw new IllegalArgumentException("a system call takes at most 6 arguments");
        long[] a = java.util.Arrays.copyOf(args, 6);
        MemorySegment buf = ERRNO_BUF.get();
        try {
            long rc = (long) SYSCALL.invokeExact(buf, (long) call.number(), a[0], a[1], a[2], a[3], a[4], a[5]);
            return rc == -1 ? -(int) ERRNO.get(buf, 0L) : rc;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** As {@link #raw} but a failure throws, naming {@code what}. */
    public static long call(String what, Syscall call, long... args) {
        long rc = raw(call, args);
        if (rc < 0 && rc >= -4095) throw new SystemCallException(what, (int) -rc);
        return rc;
    }

    /** A NUL-terminated copy of {@code s} in {@code arena}, as a raw address for {@link #raw}. */
    public static long cString(Arena arena, String s) {
        return arena.allocateFrom(s).address();
    }

    /** setgroups(0), setresgid, setresuid through glibc: every thread of the process changes identity. */
    public static void becomeUser(int uid, int gid) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            check("setgroups", (int) SETGROUPS.invokeExact(buf, 0L, MemorySegment.NULL), buf);
            check("setresgid(" + gid + ")", (int) SETRESGID.invokeExact(buf, gid, gid, gid), buf);
            check("setresuid(" + uid + ")", (int) SETRESUID.invokeExact(buf, uid, uid, uid), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void check(String what, int rc, MemorySegment buf) {
        if (rc < 0) throw new SystemCallException(what, (int) ERRNO.get(buf, 0L));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
