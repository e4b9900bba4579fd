package org.viridian.confine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.viridian.confine.seccomp.Syscall;
import org.viridian.confine.sys.Errno;
import org.viridian.confine.sys.Sys;

/**
 * The calling thread's capabilities: capget/capset (version 3: two 32-bit words per set) and the bounding set. Linux
 * keeps capabilities per thread; {@link Confinement} relies on the change of user (glibc applies it to every thread and
 * the kernel then clears each thread's capabilities) to reach the JVM's other threads.
 */
public final class Capabilities {
    private static final int VERSION_3 = 0x20080522;
    private static final int PR_CAPBSET_DROP = 24, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    private Capabilities() {}

    /** Effective, permitted and inheritable sets all empty, on the calling thread. */
    public static void dropAll() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = header(a);
            MemorySegment data = a.allocate(24, 4); // two struct __user_cap_data_struct, zeroed
            Sys.call("capset", Syscall.CAPSET, header.address(), data.address());
        }
    }

    /** The calling thread's effective set (64 bits). */
    public static long effective() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment header = header(a);
            MemorySegment data = a.allocate(24, 4);
            Sys.call("capget", Syscall.CAPGET, header.address(), data.address());
            return Integer.toUnsignedLong(data.get(ValueLayout.JAVA_INT, 0))
                    | Integer.toUnsignedLong(data.get(ValueLayout.JAVA_INT, 12)) << 32;
        }
    }

    /**
     * Empties the calling thread's bounding set (what a later exec could ever gain) and its ambient set. Returns false,
     * dropping nothing, when the thread may not (no CAP_SETPCAP): then it has no capabilities to bound either.
     */
    public static boolean dropBoundingSet() {
        Sys.raw(Syscall.PRCTL, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for (int cap = 0; cap < 64; cap++) {
            long rc = Sys.raw(Syscall.PRCTL, PR_CAPBSET_DROP, cap, 0, 0, 0);
            if (rc == -Errno.EINVAL) return true; // past the kernel's last capability
            if (rc == -Errno.EPERM) return false;
            if (rc < 0) Sys.call("prctl(PR_CAPBSET_DROP, " + cap + ")", Syscall.PRCTL, PR_CAPBSET_DROP, cap);
        }
        return true;
    }

    private static MemorySegment header(Arena a) {
        MemorySegment header = a.allocate(8, 4); // struct __user_cap_header_struct { u32 version; int pid = 0 (self) }
        header.set(ValueLayout.JAVA_INT, 0, VERSION_3);
        return header;
    }
}
