package org.viridian.confine.sys;

/** A refused or failed system call, named with the call and its errno ("chroot: EPERM (1)"). */
public final class SystemCallException extends RuntimeException {
    private final int errno;

    public SystemCallException(String call, int errno) {
        super(call + ": " + Errno.name(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
