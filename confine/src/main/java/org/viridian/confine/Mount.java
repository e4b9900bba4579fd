package org.viridian.confine;

import java.nio.file.Path;

/** A host path the worker keeps, at the same absolute path inside its jail, read-only or read-write. */
public record Mount(Path path, Access access) {
    public enum Access {
        READ_ONLY,
        READ_WRITE
    }

    public Mount {
        if (!path.isAbsolute()) throw new IllegalArgumentException("not absolute: " + path);
        path = path.normalize();
    }

    public static Mount readOnly(Path path) {
        return new Mount(path, Access.READ_ONLY);
    }

    public static Mount readWrite(Path path) {
        return new Mount(path, Access.READ_WRITE);
    }
}
