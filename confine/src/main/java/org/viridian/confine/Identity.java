package org.viridian.confine;

/** The unprivileged user and group the worker becomes (no supplementary groups). */
public record Identity(int uid, int gid) {
    /** The conventional unprivileged user of Linux distributions. */
    public static final Identity NOBODY = new Identity(65534, 65534);

    public Identity {
        if (uid <= 0 || gid <= 0)
            throw new IllegalArgumentException("not an unprivileged identity: " + uid + ":" + gid);
    }
}
