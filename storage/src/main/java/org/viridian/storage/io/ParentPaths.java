package org.viridian.storage.io;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.viridian.storage.CorruptImageException;

/**
 * Parent locators hold Windows-style paths ({@code .\base.vhd}, {@code \\?\C:\dir\base.vhdx}) or, when written
 * here, POSIX paths. These helpers write both kinds and find the first candidate that exists.
 */
public final class ParentPaths {
    private ParentPaths() {}

    /** The parent relative to the child's directory, Windows style, as Hyper-V writes it. */
    public static String relative(Path child, Path parent) {
        Path dir = child.toAbsolutePath().normalize().getParent();
        String rel =
                dir.relativize(parent.toAbsolutePath().normalize()).toString().replace('/', '\\');
        return rel.startsWith("..") ? rel : ".\\" + rel;
    }

    public static String absolute(Path parent) {
        return parent.toAbsolutePath().normalize().toString();
    }

    /** Turns a locator string into a path: backslashes become separators, relative ones resolve from the child. */
    public static Path toPath(Path child, String locator) {
        String s = locator.strip();
        if (s.startsWith("\\\\?\\")) s = s.substring(4);
        if (s.startsWith("file://localhost")) s = s.substring("file://localhost".length());
        s = s.replace('\\', '/');
        try {
            Path p = Path.of(s);
            return p.isAbsolute()
                    ? p
                    : child.toAbsolutePath().getParent().resolve(p).normalize();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** The first candidate that names an existing file. */
    public static Path find(Path child, List<String> candidates) throws CorruptImageException {
        List<String> tried = new ArrayList<>();
        for (String c : candidates) {
            if (c == null || c.isBlank()) continue;
            Path p = toPath(child, c);
            if (p != null && Files.isRegularFile(p)) return p;
            tried.add(c);
        }
        throw new CorruptImageException(child + ": parent image not found (tried "
                + (tried.isEmpty() ? "no locator" : String.join(", ", tried)) + ")");
    }
}
