package org.viridian.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Runs a device's operations on an executor (virtual threads fit well) and hands back futures. */
public record AsyncBlockDevice(BlockDevice device, Executor executor) {
    @FunctionalInterface
    private interface Io {
        void run() throws IOException;
    }

    private CompletableFuture<Void> submit(Io io) {
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        io.run();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                executor);
    }

    public CompletableFuture<Void> read(ByteBuffer dst, long offset) {
        return submit(() -> device.read(dst, offset));
    }

    public CompletableFuture<Void> write(ByteBuffer src, long offset) {
        return submit(() -> device.write(src, offset));
    }

    public CompletableFuture<Void> flush() {
        return submit(device::flush);
    }

    public CompletableFuture<Void> discard(long offset, long length) {
        return submit(() -> device.discard(offset, length));
    }
}
