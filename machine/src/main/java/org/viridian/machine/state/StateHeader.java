package org.viridian.machine.state;

/**
 * Whose state a file holds and in what shape: a restore refuses a file saved for another VM name, processor count
 * or memory size (a different VM, or one changed since it was saved).
 */
public record StateHeader(String vmName, int cpus, long memoryBytes, String savedAt, String software) {
    /** Throws {@link StateFileException} unless this state fits a VM of that name and shape. */
    public void requireFits(String name, int cpus, long memoryBytes) throws StateFileException {
        if (!vmName.equals(name))
            throw new StateFileException("the saved state is of VM '" + vmName + "', not of '" + name + "'");
        if (this.cpus != cpus || this.memoryBytes != memoryBytes) {
            throw new StateFileException(String.format(
                    "the saved state is of a VM with %d processors and %d MiB, this VM has %d and %d MiB",
                    this.cpus, this.memoryBytes >> 20, cpus, memoryBytes >> 20));
        }
    }
}
