package org.viridian.storage.ops;

/** Receives how far a long operation has got. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> {};

    void update(long done, long total);
}
