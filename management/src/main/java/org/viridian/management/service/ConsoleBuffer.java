package org.viridian.management.service;

import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A VM's serial console output: the last {@value #CAPACITY} bytes for clients that connect late (scrollback) and a
 * live feed to subscribers (WebSocket consoles). The guest writes byte by byte; subscribers get chunks at most every
 * {@value #FLUSH_MS} ms, so the guest never waits for a network client.
 */
public final class ConsoleBuffer extends OutputStream {
    public static final int CAPACITY = 256 * 1024;
    static final int FLUSH_MS = 20;
    private static final ScheduledExecutorService FLUSHER = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon(true).name("console-flush").factory());
    private final byte[] ring = new byte[CAPACITY];
    private long written; // total bytes ever written; ring holds the last min(written, CAPACITY)
    private long flushed; // bytes already sent to subscribers
    private boolean flushScheduled;
    private final List<Consumer<byte[]>> subscribers = new CopyOnWriteArrayList<>();

    /** The scrollback and the absolute offset just after it. */
    public record Snapshot(byte[] bytes, long end) {}

    @Override
    public synchronized void write(int b) {
        ring[(int) (written++ % CAPACITY)] = (byte) b;
        scheduleFlush();
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) ring[(int) (written++ % CAPACITY)] = b[off + i];
        scheduleFlush();
    }

    private void scheduleFlush() {
        if (flushScheduled) return;
        flushScheduled = true;
        FLUSHER.schedule(this::flushToSubscribers, FLUSH_MS, TimeUnit.MILLISECONDS);
    }

    private void flushToSubscribers() {
        byte[] chunk;
        synchronized (this) {
            flushScheduled = false;
            chunk = since(flushed).bytes();
            flushed = written;
        }
        if (chunk.length == 0) return;
        for (Consumer<byte[]> s : subscribers) {
            try {
                s.accept(chunk);
            } catch (RuntimeException ignored) {
                // a client that went away unsubscribes itself when its connection closes
            }
        }
    }

    /** Output after absolute offset {@code from} (as far as the scrollback reaches). */
    public synchronized Snapshot since(long from) {
        long start = Math.max(Math.max(from, 0), written - Math.min(written, CAPACITY));
        if (start >= written) return new Snapshot(new byte[0], written);
        byte[] out = new byte[(int) (written - start)];
        for (int i = 0; i < out.length; i++) out[i] = ring[(int) ((start + i) % CAPACITY)];
        return new Snapshot(out, written);
    }

    public Snapshot snapshot() {
        return since(0);
    }

    /**
     * Subscribes {@code live} and returns the scrollback it has not yet seen, atomically: no byte is lost or sent twice
     * between the two.
     */
    public synchronized byte[] subscribe(Consumer<byte[]> live) {
        subscribers.add(live);
        Snapshot all = since(0);
        long start = all.end() - all.bytes().length;
        return Arrays.copyOf(all.bytes(), (int) Math.max(0, flushed - start));
    }

    public void unsubscribe(Consumer<byte[]> live) {
        subscribers.remove(live);
    }
}
