package org.viridian.kvm.sys;

/** A failed system call, named with the call and the errno it returned (e.g. "ioctl(KVM_RUN): EINTR (4)"). */
public final class NativeException extends RuntimeException {
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + errno + ") " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
