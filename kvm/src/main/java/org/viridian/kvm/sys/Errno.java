package org.viridian.kvm.sys;

import java.util.Map;

/** Names and short descriptions for the errno values KVM and the memory calls return. */
public final class Errno {
    public static final int EPERM = 1,
            ENOENT = 2,
            EINTR = 4,
            EIO = 5,
            E2BIG = 7,
            EBADF = 9,
            EAGAIN = 11,
            ENOMEM = 12,
            EACCES = 13,
            EFAULT = 14,
            EBUSY = 16,
            EEXIST = 17,
            ENODEV = 19,
            EINVAL = 22,
            ENOSPC = 28,
            ENOSYS = 38,
            ENOTTY = 25,
            EOPNOTSUPP = 95;

    private record Entry(String name, String text) {}

    private static final Map<Integer, Entry> TABLE = Map.ofEntries(
            Map.entry(EPERM, new Entry("EPERM", "operation not permitted")),
            Map.entry(ENOENT, new Entry("ENOENT", "no such file or directory")),
            Map.entry(EINTR, new Entry("EINTR", "interrupted")),
            Map.entry(EIO, new Entry("EIO", "I/O error")),
            Map.entry(E2BIG, new Entry("E2BIG", "argument list too long")),
            Map.entry(EBADF, new Entry("EBADF", "bad file descriptor")),
            Map.entry(EAGAIN, new Entry("EAGAIN", "try again")),
            Map.entry(ENOMEM, new Entry("ENOMEM", "out of memory")),
            Map.entry(EACCES, new Entry("EACCES", "permission denied")),
            Map.entry(EFAULT, new Entry("EFAULT", "bad address")),
            Map.entry(EBUSY, new Entry("EBUSY", "busy")),
            Map.entry(EEXIST, new Entry("EEXIST", "already exists")),
            Map.entry(ENODEV, new Entry("ENODEV", "no such device")),
            Map.entry(EINVAL, new Entry("EINVAL", "invalid argument")),
            Map.entry(ENOTTY, new Entry("ENOTTY", "inappropriate ioctl for device")),
            Map.entry(ENOSPC, new Entry("ENOSPC", "no space left")),
            Map.entry(ENOSYS, new Entry("ENOSYS", "function not implemented")),
            Map.entry(EOPNOTSUPP, new Entry("EOPNOTSUPP", "operation not supported")));

    private Errno() {}

    public static String name(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "errno" : e.name();
    }

    public static String describe(int errno) {
        Entry e = TABLE.get(errno);
        return e == null ? "" : e.text();
    }
}
