package org.viridian.management.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A file as 1 MiB chunks, read as they are asked for: the body of an upload (HttpRequest.BodyPublishers.ofByteArrays).
 * The JDK's own file publisher sends 16 KiB at a time, and each is a round through the client's and the server's
 * threads (a quick migration's 83 MiB state took 8-26 s in the nested TCG host, with no clear gain shown from this
 * yet: the figures swing that much between runs). A request given up half-way leaves
 * its file open until the iterator is collected.
 */
final class FileChunks implements Iterable<byte[]> {
    static final int CHUNK = 1 << 20;
    private final Path file;

    FileChunks(Path file) {
        this.file = file;
    }

    @Override
    public Iterator<byte[]> iterator() {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Iterator<>() {
            private byte[] next = read();

            private byte[] read() {
                try {
                    byte[] chunk = new byte[CHUNK];
                    ByteBuffer b = ByteBuffer.wrap(chunk);
                    while (b.hasRemaining() && ch.read(b) > 0) {}
                    if (b.position() == 0) {
                        ch.close();
                        return null;
                    }
                    return b.hasRemaining() ? java.util.Arrays.copyOf(chunk, b.position()) : chunk;
                } catch (IOException e) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // the read's failure is the one reported
                    }
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public byte[] next() {
                if (next == null) throw new NoSuchElementException();
                byte[] b = next;
                next = read();
                return b;
            }
        };
    }
}
