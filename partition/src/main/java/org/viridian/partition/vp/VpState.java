package org.viridian.partition.vp;

/** Life cycle of a virtual processor's thread. */
public enum VpState {
    CREATED,
    RUNNING,
    PAUSED,
    STOPPED
}
