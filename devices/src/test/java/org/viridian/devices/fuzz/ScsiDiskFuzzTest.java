package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.viridian.devices.scsi.ScsiData;
import org.viridian.devices.scsi.ScsiDisk;
import org.viridian.devices.scsi.ScsiResult;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.storage.BlockDevice;

/**
 * The SCSI logical unit ({@link ScsiDisk}) executing a sequence of arbitrary CDBs (any length, opcodes mostly from
 * the ones it implements) with arbitrary data buffers (one to three parts, fenced by guard bytes) over a small
 * in-memory disk. Rules: every command ends in GOOD or CHECK CONDITION with sense data and never throws; it moves no
 * more than its buffer holds; the disk is never asked for a range outside it (ScsiDisk turns disk exceptions into
 * sense, so the disk records them for the check); nothing outside the buffers' parts changes.
 */
class ScsiDiskFuzzTest {
    private static final int[] OPCODES = {
        0x00, 0x03, 0x08, 0x0A, 0x12, 0x15, 0x1A, 0x1B, 0x1E, 0x25, 0x28, 0x2A, 0x2F, 0x35, 0x41, 0x42, 0x55, 0x5A,
        0x88, 0x8A, 0x91, 0x93, 0x9E, 0xA8, 0xAA
    };
    private static final int GUARD = 16;
    private static final byte FENCE = (byte) 0xA5;

    @FuzzTest
    void commands(FuzzedDataProvider data) throws InterruptedException {
        int blocks = data.pickValue(new int[] {0, 1, 8, 64});
        MemoryDisk disk = new MemoryDisk(blocks * ScsiDisk.BLOCK + data.consumeInt(0, 511), data.consumeBoolean());
        ScsiDisk lun =
                new ScsiDisk(disk, data.consumeBoolean(), "fuzz-" + data.consumeInt(0, 99), TokenBucket.unlimited());
        int commands = data.consumeInt(1, 8);
        for (int i = 0; i < commands && data.remainingBytes() > 0; i++) {
            byte[] cdb = data.consumeBytes(data.consumeInt(0, 20));
            if (cdb.length > 0 && data.consumeBoolean()) cdb[0] = (byte) data.pickValue(OPCODES);
            int parts = data.consumeInt(1, 3);
            List<byte[]> backing = new ArrayList<>();
            List<MemorySegment> segments = new ArrayList<>();
            long length = 0;
            for (int p = 0; p < parts; p++) {
                int n = data.consumeBoolean() ? data.consumeInt(0, 64) : data.consumeInt(0, 72 << 10);
                byte[] whole = new byte[n + 2 * GUARD];
                java.util.Arrays.fill(whole, 0, GUARD, FENCE);
                java.util.Arrays.fill(whole, GUARD + n, whole.length, FENCE);
                // Parameter lists (UNMAP, WRITE SAME, MODE SELECT) come from the fuzzer's bytes.
                byte[] fill = data.consumeBytes(Math.min(n, 64));
                System.arraycopy(fill, 0, whole, GUARD, fill.length);
                backing.add(whole);
                segments.add(MemorySegment.ofArray(whole).asSlice(GUARD, n));
                length += n;
            }
            ScsiResult r = lun.execute(cdb, new ScsiData(segments));
            assertThat(r.status()).isIn(ScsiResult.GOOD, ScsiResult.CHECK_CONDITION);
            if (r.ok()) {
                assertThat(r.transferred()).isBetween(0L, length);
            } else {
                assertThat(r.sense()).as("CHECK CONDITION carries sense").isNotNull();
                assertThat(r.sense().fixed()).isNotEmpty();
            }
            for (byte[] whole : backing) {
                for (int k = 0; k < GUARD; k++) {
                    assertThat(whole[k]).isEqualTo(FENCE);
                    assertThat(whole[whole.length - 1 - k]).isEqualTo(FENCE);
                }
            }
            assertThat(disk.outside).as("disk accesses outside the disk").isNull();
        }
    }

    /**
     * A disk in memory that records (rather than throws) a request outside it: ScsiDisk would turn a throw into sense.
     */
    private static final class MemoryDisk implements BlockDevice {
        private final byte[] bytes;
        private final boolean readOnly;
        String outside;

        MemoryDisk(int size, boolean readOnly) {
            this.bytes = new byte[size];
            this.readOnly = readOnly;
        }

        private boolean inside(String what, long offset, long length) {
            if (offset >= 0 && length >= 0 && offset <= bytes.length - length) return true;
            if (outside == null) outside = what + " [" + offset + ", +" + length + ") of " + bytes.length;
            return false;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public boolean readOnly() {
            return readOnly;
        }

        @Override
        public void read(ByteBuffer dst, long offset) throws java.io.IOException {
            if (!inside("read", offset, dst.remaining())) throw new java.io.IOException("outside");
            dst.put(bytes, (int) offset, dst.remaining());
        }

        @Override
        public void write(ByteBuffer src, long offset) throws java.io.IOException {
            if (readOnly) throw new java.io.IOException("read-only disk");
            if (!inside("write", offset, src.remaining())) throw new java.io.IOException("outside");
            src.get(bytes, (int) offset, src.remaining());
        }

        @Override
        public void discard(long offset, long length) throws java.io.IOException {
            if (!inside("discard", offset, length)) throw new java.io.IOException("outside");
            java.util.Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
        }

        @Override
        public boolean mayHaveData(long offset, long length) throws java.io.IOException {
            if (!inside("mayHaveData", offset, length)) throw new java.io.IOException("outside");
            return true;
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
