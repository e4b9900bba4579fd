package org.viridian.storage;

import java.util.Locale;

/** How an image allocates its space. */
public enum ImageType {
    FIXED,
    DYNAMIC,
    DIFFERENCING;

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImageType parse(String s) {
        for (ImageType t : values()) if (t.displayName().equals(s.toLowerCase(Locale.ROOT))) return t;
        throw new IllegalArgumentException("unknown image type '" + s + "' (expected fixed, dynamic or differencing)");
    }
}
