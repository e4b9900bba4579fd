package org.viridian.storage.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies between files inside the kernel: FileChannel.transferTo between two files is copy_file_range on Linux, one
 * copy from the source's page cache to the target's where read and write would make two, through a buffer. It writes
 * at the target channel's position, so each target file gets a channel of its own here, positioned for every copy (one
 * thread uses this object). Where the kernel cannot, the JDK falls back to copying itself, so a copy always completes.
 * No native binding: an FFM downcall's stubs are generated at first use, which a short conversion's start would pay.
 */
public final class KernelCopy implements AutoCloseable {
    private final Map<Path, FileChannel> readers = new HashMap<>(), writers = new HashMap<>();

    /** Copies {@code length} bytes at {@code fromOffset} of {@code from} to {@code toOffset} of {@code to}. */
    public void copy(Path from, long fromOffset, Path to, long toOffset, long length) throws IOException {
        FileChannel in = channel(readers, from, StandardOpenOption.READ);
        FileChannel out = channel(writers, to, StandardOpenOption.WRITE);
        out.position(toOffset);
        for (long done = 0; done < length; ) {
            long n = in.transferTo(fromOffset + done, length - done, out);
            if (n <= 0)
                throw new IOException(
                        from + ": the end of the file at " + (fromOffset + done) + ", inside the range to copy");
            done += n;
        }
    }

    private static FileChannel channel(Map<Path, FileChannel> channels, Path p, StandardOpenOption mode)
            throws IOException {
        FileChannel c = channels.get(p);
        if (c == null) channels.put(p, c = FileChannel.open(p, mode));
        return c;
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Map<Path, FileChannel> m : java.util.List.of(readers, writers)) {
            for (FileChannel c : m.values()) {
                try {
                    c.close();
                } catch (IOException e) {
                    if (first == null) first = e;
                }
            }
            m.clear();
        }
        if (first != null) throw first;
    }
}
