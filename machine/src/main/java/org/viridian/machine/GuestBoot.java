package org.viridian.machine;

import org.viridian.partition.Partition;

import java.io.IOException;

/** Loads the kernel and firmware tables into a partition and sets the boot processor's entry state. */
final class GuestBoot {
    private GuestBoot() {}

    static void load(Partition partition, VmSpec spec) throws IOException {
        throw new IOException("kernel loading is being integrated");
    }
}
