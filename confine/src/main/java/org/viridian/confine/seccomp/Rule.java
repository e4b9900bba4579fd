package org.viridian.confine.seccomp;

/** What the filter does with one system call: allow it, allow it when an argument passes a test, or refuse it. */
public sealed interface Rule {
    Syscall call();

    /** The call is allowed whatever its arguments (the kernel's seccomp cache then skips the filter for it). */
    record Allow(Syscall call) implements Rule {}

    /** Allowed when argument {@code arg} (0-5, its low 32 bits, as the kernel reads an int) passes; else refused. */
    record AllowIf(Syscall call, int arg, ArgTest test, int errno) implements Rule {
        public AllowIf {
            if (arg < 0 || arg > 5) throw new IllegalArgumentException("argument index " + arg);
        }
    }

    /** Refused with {@code errno} whatever else the policy says. */
    record Refuse(Syscall call, int errno) implements Rule {}

    /** A test of one 32-bit argument. */
    sealed interface ArgTest {
        /** The argument is one of {@code values} (a socket family, our own pid). */
        record OneOf(java.util.List<Integer> values) implements ArgTest {
            public OneOf {
                values = java.util.List.copyOf(values);
                if (values.isEmpty()) throw new IllegalArgumentException("no values");
            }
        }

        /** The argument has {@code bit} set (clone's CLONE_THREAD: a thread, never a new process). */
        record HasBit(int bit) implements ArgTest {
            public HasBit {
                if (Integer.bitCount(bit) != 1) throw new IllegalArgumentException("not one bit: " + bit);
            }
        }
    }
}
