package org.viridian.partition.bus;

import org.viridian.partition.vp.VirtualProcessor;

/**
 * A port whose handler needs the trapping VP itself (its registers, its CPL), e.g. the hypercall port the hypercall
 * page executes. Runs on that VP's thread between exits, so reading and writing its registers is safe.
 */
@FunctionalInterface
public interface VpPortTrap {
    /** {@code value} is the OUT value (0 for IN); the return value is what an IN reads. */
    int access(VirtualProcessor vp, int port, int size, boolean write, int value);
}
