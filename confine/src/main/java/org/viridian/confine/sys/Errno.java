package org.viridian.confine.sys;

import java.util.Map;

/** The errno values confinement returns or meets, by name (a refusal prints as "EPERM (1)"). */
public final class Errno {
    public static final int EPERM = 1,
            ENOENT = 2,
            ESRCH = 3,
            EBADF = 9,
            EACCES = 13,
            EFAULT = 14,
            EBUSY = 16,
            EINVAL = 22,
            EROFS = 30,
            ENOSYS = 38,
            EAFNOSUPPORT = 97;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(EPERM, "EPERM"),
            Map.entry(ENOENT, "ENOENT"),
            Map.entry(ESRCH, "ESRCH"),
            Map.entry(EBADF, "EBADF"),
            Map.entry(EACCES, "EACCES"),
            Map.entry(EFAULT, "EFAULT"),
            Map.entry(EBUSY, "EBUSY"),
            Map.entry(EINVAL, "EINVAL"),
            Map.entry(EROFS, "EROFS"),
            Map.entry(ENOSYS, "ENOSYS"),
            Map.entry(EAFNOSUPPORT, "EAFNOSUPPORT"));

    private Errno() {}

    public static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno") + " (" + errno + ")";
    }
}
