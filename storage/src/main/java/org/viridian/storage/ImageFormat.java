package org.viridian.storage;

import java.nio.file.Path;
import java.util.Locale;

/** The image formats Viridian knows, with whether it can write them. */
public enum ImageFormat {
    RAW(true),
    VHD(true),
    VHDX(true),
    QCOW2(false),
    VMDK(false);

    private final boolean writable;

    ImageFormat(boolean writable) {
        this.writable = writable;
    }

    public boolean writable() {
        return writable;
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format a file name implies, or null when the extension says nothing. */
    public static ImageFormat fromFileName(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot < 0
                ? null
                : switch (n.substring(dot + 1)) {
                    case "vhd", "avhd" -> VHD;
                    case "vhdx", "avhdx" -> VHDX;
                    case "img", "raw", "bin", "iso" -> RAW;
                    case "qcow2", "qcow" -> QCOW2;
                    case "vmdk" -> VMDK;
                    default -> null;
                };
    }

    public static ImageFormat parse(String name) {
        for (ImageFormat f : values()) if (f.displayName().equals(name.toLowerCase(Locale.ROOT))) return f;
        if (name.equalsIgnoreCase("vpc")) return VHD;
        throw new IllegalArgumentException(
                "unknown image format '" + name + "' (expected raw, vhd, vhdx, qcow2 or vmdk)");
    }
}
