package org.viridian.app.nested;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/** An initramfs (newc cpio) built in Java: files with their mode, and every parent directory. */
final class Initramfs {
    private final Map<String, byte[]> files = new TreeMap<>();
    private final Map<String, Boolean> executable = new TreeMap<>();

    void file(String path, byte[] data, boolean exec) {
        files.put(path, data);
        executable.put(path, exec);
    }

    void copy(Path from, String to) throws IOException {
        file(to, Files.readAllBytes(from), Files.isExecutable(from));
    }

    void tree(Path root, String to) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) copy(f, to + "/" + root.relativize(f));
        }
    }

    /** The gzip-compressed archive, as a kernel takes it for its initrd. */
    byte[] gzipped() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            writeTo(gz);
        }
        return bytes.toByteArray();
    }

    void writeTo(OutputStream out) throws IOException {
        TreeMap<String, Boolean> dirs = new TreeMap<>();
        for (String d : List.of("dev", "proc", "sys", "tmp", "bin")) dirs.put(d, true);
        for (String f : files.keySet()) {
            for (Path p = Path.of(f).getParent(); p != null; p = p.getParent()) dirs.put(p.toString(), true);
        }
        try (CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(out, CpioConstants.FORMAT_NEW)) {
            for (String d : dirs.keySet()) {
                CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, d);
                e.setMode(CpioConstants.C_ISDIR | 0755);
                cpio.putArchiveEntry(e);
                cpio.closeArchiveEntry();
            }
            for (var f : files.entrySet()) {
                CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, f.getKey(), f.getValue().length);
                e.setMode(CpioConstants.C_ISREG | (executable.get(f.getKey()) ? 0755 : 0644));
                cpio.putArchiveEntry(e);
                cpio.write(f.getValue());
                cpio.closeArchiveEntry();
            }
        }
    }
}
