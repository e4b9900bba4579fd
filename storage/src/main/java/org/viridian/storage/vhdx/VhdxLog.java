package org.viridian.storage.vhdx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.viridian.storage.CorruptImageException;
import org.viridian.storage.io.Storage;

/**
 * The VHDX metadata log: a ring of entries, each a set of 4 KiB sector images. Writers append an entry and flush
 * before touching the sectors in place; after a crash, {@link #findActive} finds the newest complete sequence and
 * its sectors are written again (replay is idempotent).
 */
public final class VhdxLog {
    static final int SECTOR = 4096;
    private static final int LOGE = 0x65676F6C, DESC = 0x63736564, ZERO = 0x6F72657A, DATA = 0x61746164;

    /** One sector image (data descriptor) or a zeroed range (zero descriptor, {@code data == null}). */
    public record Write(long fileOffset, long length, byte[] data) {
        public static Write sector(long fileOffset, byte[] data) {
            return new Write(fileOffset, SECTOR, data);
        }
    }

    /** A valid entry found in the ring. */
    record Entry(
            long position,
            long sequence,
            long tail,
            long length,
            long flushedFileOffset,
            long lastFileOffset,
            List<Write> writes) {}

    /** The entries to replay, oldest first. */
    public record Active(List<Entry> entries) {
        public long flushedFileOffset() {
            return entries.getLast().flushedFileOffset;
        }

        public long lastFileOffset() {
            return entries.getLast().lastFileOffset;
        }

        public List<Write> writes() {
            List<Write> all = new ArrayList<>();
            for (Entry e : entries) all.addAll(e.writes);
            return all;
        }
    }

    private final Storage storage;
    private final long offset, length;
    private final Guid guid;
    private long head;
    private long sequence;

    public VhdxLog(Storage storage, long offset, long length, Guid guid, long firstSequence) {
        this.storage = storage;
        this.offset = offset;
        this.length = length;
        this.guid = guid;
        this.sequence = firstSequence;
    }

    /** Appends an entry with the given sector writes and flushes it; the caller then applies them in place. */
    public void append(List<Write> writes, long fileSize) throws IOException {
        int n = writes.size();
        int descSectors = (int) Math.ceilDiv(64 + 32L * n, SECTOR);
        long entryLength = (long) (descSectors + n) * SECTOR;
        if (entryLength > length)
            throw new IOException(storage.name() + ": a metadata update of " + n + " sectors does not fit in the "
                    + length + "-byte log");
        if (head + entryLength > length) head = 0;
        ByteBuffer e = ByteBuffer.allocate((int) entryLength).order(ByteOrder.LITTLE_ENDIAN);
        e.putInt(0, LOGE)
                .putInt(8, (int) entryLength)
                .putInt(12, (int) head)
                .putLong(16, sequence)
                .putInt(24, n);
        guid.write(e, 32);
        e.putLong(48, fileSize).putLong(56, fileSize);
        for (int i = 0; i < n; i++) {
            Write w = writes.get(i);
            if (w.data().length != SECTOR || w.fileOffset() % SECTOR != 0)
                throw new IllegalArgumentException("log writes are whole aligned 4 KiB sectors");
            int d = 64 + 32 * i;
            ByteBuffer data = ByteBuffer.wrap(w.data()).order(ByteOrder.LITTLE_ENDIAN);
            e.putInt(d, DESC)
                    .putInt(d + 4, data.getInt(SECTOR - 4))
                    .putLong(d + 8, data.getLong(0))
                    .putLong(d + 16, w.fileOffset())
                    .putLong(d + 24, sequence);
            int s = (descSectors + i) * SECTOR;
            e.putInt(s, DATA)
                    .putInt(s + 4, (int) (sequence >>> 32))
                    .put(s + 8, w.data(), 8, SECTOR - 12)
                    .putInt(s + SECTOR - 4, (int) sequence);
        }
        Crc.seal(e, 4);
        storage.write(e, offset + head);
        storage.flush();
        head += entryLength;
        sequence++;
    }

    /** Finds the sequence to replay, or null when the log holds no valid entry for {@code guid}. */
    public static Active findActive(Storage storage, long offset, long length, Guid guid) throws IOException {
        if (length > (256L << 20))
            throw new CorruptImageException(storage.name() + ": log length " + length + " is implausibly large");
        if (offset > storage.size() - length)
            throw new CorruptImageException(storage.name() + ": the log (offset " + offset + ", length " + length
                    + ") extends past the end of the file");
        ByteBuffer ring = storage.read(offset, (int) length).order(ByteOrder.LITTLE_ENDIAN);
        List<Entry> best = null;
        for (long start = 0; start < length; start += SECTOR) {
            List<Entry> seq = new ArrayList<>();
            long pos = start, used = 0;
            while (used < length) {
                Entry e = parseEntry(ring, pos, guid);
                if (e == null || (!seq.isEmpty() && e.sequence != seq.getLast().sequence + 1)) break;
                seq.add(e);
                used += e.length;
                pos = (pos + e.length) % length;
            }
            if (seq.isEmpty()) continue;
            // The sequence is only usable if its head's tail lies inside it: replay from there.
            Entry headEntry = seq.getLast();
            int tailIndex = -1;
            for (int i = 0; i < seq.size(); i++) if (seq.get(i).position == headEntry.tail) tailIndex = i;
            if (tailIndex < 0) continue;
            if (best == null || headEntry.sequence > best.getLast().sequence)
                best = List.copyOf(seq.subList(tailIndex, seq.size()));
        }
        return best == null ? null : new Active(best);
    }

    private static Entry parseEntry(ByteBuffer ring, long pos, Guid guid) {
        long length = ring.limit();
        ByteBuffer h = ringRead(ring, pos, SECTOR);
        if (h.getInt(0) != LOGE) return null;
        long entryLength = Integer.toUnsignedLong(h.getInt(8));
        long tail = Integer.toUnsignedLong(h.getInt(12));
        long seq = h.getLong(16);
        long count = Integer.toUnsignedLong(h.getInt(24));
        if (entryLength < SECTOR
                || entryLength % SECTOR != 0
                || entryLength > length
                || tail % SECTOR != 0
                || tail >= length
                || seq <= 0) return null;
        if (!Guid.read(h, 32).equals(guid)) return null;
        long descSectors = Math.ceilDiv(64 + 32 * count, SECTOR);
        if (descSectors * SECTOR > entryLength) return null;
        ByteBuffer e = ringRead(ring, pos, (int) entryLength);
        if (e.getInt(4) != Crc.compute(e, 4)) return null;
        List<Write> writes = new ArrayList<>();
        long dataSector = descSectors;
        for (int i = 0; i < count; i++) {
            int d = 64 + 32 * i;
            int sig = e.getInt(d);
            long fileOffset = e.getLong(d + 16);
            if (e.getLong(d + 24) != seq || fileOffset % SECTOR != 0 || fileOffset < 0) return null;
            if (sig == ZERO) {
                long zeroLength = e.getLong(d + 8);
                if (zeroLength % SECTOR != 0 || zeroLength < 0) return null;
                writes.add(new Write(fileOffset, zeroLength, null));
            } else if (sig == DESC) {
                if ((dataSector + 1) * SECTOR > entryLength) return null;
                int s = (int) (dataSector++ * SECTOR);
                if (e.getInt(s) != DATA
                        || (Integer.toUnsignedLong(e.getInt(s + 4)) << 32
                                        | Integer.toUnsignedLong(e.getInt(s + SECTOR - 4)))
                                != seq) return null;
                ByteBuffer sector = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
                sector.putLong(0, e.getLong(d + 8))
                        .put(8, e, s + 8, SECTOR - 12)
                        .putInt(SECTOR - 4, e.getInt(d + 4));
                writes.add(Write.sector(fileOffset, sector.array()));
            } else {
                return null;
            }
        }
        return new Entry(pos, seq, tail, entryLength, h.getLong(48), h.getLong(56), List.copyOf(writes));
    }

    /** Bytes of the ring starting at {@code pos}, wrapping around its end. */
    private static ByteBuffer ringRead(ByteBuffer ring, long pos, int n) {
        ByteBuffer out = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        int p = (int) pos;
        while (out.hasRemaining()) {
            int k = Math.min(out.remaining(), ring.limit() - p);
            out.put(ring.slice(p, k));
            p = (p + k) % ring.limit();
        }
        return out.flip();
    }
}
