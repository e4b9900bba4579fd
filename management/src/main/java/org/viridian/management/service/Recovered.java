package org.viridian.management.service;

/** What an engine finds of a VM when the service (re)starts: still running in its worker, or ended meanwhile. */
public sealed interface Recovered {
    /** The VM runs on (its worker outlived the service); {@code paused}: its processors are stopped. */
    record Running(RunningVm vm, boolean paused) implements Recovered {}

    /** The VM ended while no service watched it, as {@code exit} tells. */
    record Ended(VmExit exit) implements Recovered {}
}
