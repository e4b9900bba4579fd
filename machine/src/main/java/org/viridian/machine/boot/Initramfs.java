package org.viridian.machine.boot;

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

/**
 * An initramfs (newc cpio) built in Java: files with their mode, and every parent directory. The nested-KVM tests and
 * `viridian bench netvsp` build their guests' and hosts' root file systems with it.
 */
public final class Initramfs {
    private final Map<String, byte[]> files = new TreeMap<>();
    private final Map<String, Boolean> executable = new TreeMap<>();

    public void file(String path, byte[] data, boolean exec) {
        files.put(path, data);
        executable.put(path, exec);
    }

    public void copy(Path from, String to) throws IOException {
        file(to, Files.readAllBytes(from), Files.isExecutable(from));
    }

    /** Every entry of {@code files}: initramfs path → host file. */
    public void copyAll(Map<String, Path> files) throws IOException {
        for (var e : files.entrySet()) copy(e.getValue(), e.getKey());
    }

    /**
     * A minimal Linux root: {@code busybox} (a static build: nothing else runs before /init installs its applets) at
     * /bin/busybox and {@code init} as /init.
     */
    public static Initramfs busybox(Path busybox, String init) throws IOException {
        if (HostProgram.interpreter(busybox).isPresent())
            throw new IOException(busybox + " is dynamically linked; a static busybox is needed (busybox-static)");
        Initramfs fs = new Initramfs();
        fs.copy(busybox, "bin/busybox");
        fs.file("init", init.getBytes(java.nio.charset.StandardCharsets.UTF_8), true);
        return fs;
    }

    public void tree(Path root, String to) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) copy(f, to + "/" + root.relativize(f));
        }
    }

    /** The gzip-compressed archive, as a kernel takes it for its initrd. */
    public byte[] gzipped() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            writeTo(gz);
        }
        return bytes.toByteArray();
    }

    public void writeTo(OutputStream out) throws IOException {
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
