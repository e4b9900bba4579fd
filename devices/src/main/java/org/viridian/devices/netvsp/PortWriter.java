package org.viridian.devices.netvsp;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes a channel's batches of frames to a {@link NetworkPort#slowTransmit() slow port} on a thread of its own, so
 * that the channel's pump goes back to the guest's ring (reads, copies and completes its next packets) while the port
 * works: a TAP write runs the host's whole network stack, and a guest whose completions wait for it is held by TCP
 * Small Queues to a couple of small skbs per write. {@link #BATCHES} batches cycle between the pump and this writer;
 * when all are written to, the pump waits for one (the port's pace is the limit, as it should be). The thread ends
 * when idle and starts again with the next batch.
 */
final class PortWriter {
    static final int BATCHES = 3;
    private static final long IDLE_MS = 1000;

    private final NetVsp adapter;
    private final BlockingQueue<TxBatch> free = new ArrayBlockingQueue<>(BATCHES),
            toWrite = new ArrayBlockingQueue<>(BATCHES);
    private final AtomicBoolean running = new AtomicBoolean();

    PortWriter(NetVsp adapter) {
        this.adapter = adapter;
        for (int i = 0; i < BATCHES - 1; i++) free.add(new TxBatch());
    }

    /** The first batch for the pump (the others wait in {@link #free}). */
    TxBatch first() {
        return new TxBatch();
    }

    /** Queues {@code batch} for the port and returns an empty one, waiting while every other is still being written. */
    TxBatch swap(TxBatch batch) {
        toWrite.add(batch); // never full: at most BATCHES - 1 are out of the pump's hands
        if (!running.getAndSet(true))
            Thread.ofPlatform().daemon().name("netvsp-port").start(this::write);
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("netvsp: interrupted waiting for the port", e);
        }
    }

    /** Waits until every batch handed over is written (frames written on the pump's thread must come after them). */
    void drain() {
        while (free.size() < BATCHES - 1) LockSupport.parkNanos(50_000);
    }

    private void write() {
        while (true) {
            TxBatch b;
            try {
                b = toWrite.poll(IDLE_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                b = null;
            }
            if (b == null) {
                running.set(false);
                // A batch queued after the poll and before the flag fell finds no thread: take it on.
                if (toWrite.isEmpty() || running.getAndSet(true)) return;
                continue;
            }
            try {
                b.transmit(adapter);
            } finally {
                b.clear();
                free.add(b);
            }
        }
    }
}
