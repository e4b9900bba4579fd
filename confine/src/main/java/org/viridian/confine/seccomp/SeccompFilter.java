package org.viridian.confine.seccomp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.viridian.confine.sys.Sys;
import org.viridian.confine.sys.SystemCallException;

/**
 * Installs a filter built by {@link SeccompProgram} on every thread of the process: seccomp(2) with
 * SECCOMP_FILTER_FLAG_TSYNC, because the JVM has many threads before any of our code runs and a filter installed with
 * prctl would bind only the caller (and the threads it starts later). TSYNC also sets no_new_privs on every thread.
 */
public final class SeccompFilter {
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;

    private SeccompFilter() {}

    /** no_new_privs on the calling thread: needed to install a filter without CAP_SYS_ADMIN, and copied by TSYNC. */
    public static void noNewPrivileges() {
        Sys.call("prctl(PR_SET_NO_NEW_PRIVS)", Syscall.PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }

    public static void install(List<BpfInstruction> program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate((long) program.size() * BpfInstruction.BYTES, 8);
            var out = code.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (BpfInstruction i : program) i.writeTo(out);
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.size());
            fprog.set(ValueLayout.ADDRESS, 8, code);
            long rc = Sys.call(
                    "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)",
                    Syscall.SECCOMP,
                    SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_TSYNC,
                    fprog.address());
            // With TSYNC a positive result is the id of a thread that could not take the filter (none was installed).
            if (rc != 0) throw new SystemCallException("seccomp TSYNC: thread " + rc + " cannot synchronise", 0);
        }
    }
}
