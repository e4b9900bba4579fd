package org.viridian.devices.scsi;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One SCSI target: the logical units present and the commands the target answers itself (SPC-4: REPORT LUNS, and
 * INQUIRY to a LUN that is not there). A transport asks {@link #route} where a command goes; {@code L} is what it
 * keeps per LUN (a disk and its worker, say).
 */
public final class ScsiTarget<L> {
    /** LUNs 0..254 (single-level addressing, as storvsc scans them). */
    public static final int MAX_LUN = 254;

    static final int INQUIRY = 0x12, REPORT_LUNS = 0xA0;
    private final Map<Integer, L> luns = new ConcurrentSkipListMap<>();

    /** Where a command went. */
    public sealed interface Route<L> {}

    /** To this LUN: the transport runs it there. */
    public record ToLun<L>(L lun) implements Route<L> {}

    /** The target answered it (GOOD); {@code transferred} -1 means the whole buffer the initiator gave. */
    public record Answered<L>(long transferred) implements Route<L> {}

    /** The CDB is too short for the command it names. */
    public record Malformed<L>() implements Route<L> {}

    /** No such LUN (Linux drops a LUN that answers this). */
    public record NoLun<L>() implements Route<L> {}

    /** Adds {@code lun}; IllegalArgumentException when it is out of range or in use. */
    public synchronized void add(int lun, L unit) {
        if (lun < 0 || lun > MAX_LUN) throw new IllegalArgumentException("LUN " + lun + " is outside 0.." + MAX_LUN);
        if (luns.containsKey(lun)) throw new IllegalArgumentException("LUN " + lun + " is in use");
        luns.put(lun, unit);
    }

    /** Removes {@code lun}; null when there is none. */
    public synchronized L remove(int lun) {
        return luns.remove(lun);
    }

    /** Removes every LUN and returns them. */
    public synchronized List<L> removeAll() {
        List<L> all = List.copyOf(luns.values());
        luns.clear();
        return all;
    }

    /** The unit at {@code lun}; null when there is none. */
    public L get(int lun) {
        return luns.get(lun);
    }

    public boolean contains(int lun) {
        return luns.containsKey(lun);
    }

    /** The LUNs present, in order. */
    public List<Integer> lunNumbers() {
        return List.copyOf(luns.keySet());
    }

    /**
     * Where {@code cdb} for {@code lun} goes. {@code addressed} says whether the initiator named this target at all:
     * the others on the bus have no LUNs, but still answer REPORT LUNS (empty) and INQUIRY (no device).
     */
    public Route<L> route(boolean addressed, int lun, byte[] cdb, ScsiData data) {
        int op = cdb[0] & 0xFF;
        if (op == REPORT_LUNS) {
            if (cdb.length < 12) return new Malformed<>();
            data.put(reportLuns(cdb, addressed ? lunNumbers() : List.of()));
            return new Answered<>(-1);
        }
        L unit = addressed ? luns.get(lun) : null;
        if (unit != null) return new ToLun<>(unit);
        if (op == INQUIRY) return new Answered<>(data.put(absentInquiry(cdb)));
        return new NoLun<>();
    }

    /** REPORT LUNS' parameter data cut to the allocation length: list length, then one 8-byte entry per LUN. */
    static byte[] reportLuns(byte[] cdb, List<Integer> present) {
        long alloc = (cdb[6] & 0xFFL) << 24 | (cdb[7] & 0xFF) << 16 | (cdb[8] & 0xFF) << 8 | (cdb[9] & 0xFF);
        ByteBuffer b = ByteBuffer.allocate(8 + 8 * present.size());
        b.putInt(0, 8 * present.size());
        int at = 8;
        for (int lun : present) {
            b.put(at + 1, (byte) lun);
            at += 8;
        }
        return Arrays.copyOf(b.array(), (int) Math.min(b.capacity(), alloc));
    }

    /**
     * INQUIRY data for a LUN that is not there: peripheral qualifier 3 ("no device here"). Linux's storvsc turns any
     * INQUIRY error into success and reads the buffer, so an absent LUN must say so in the data.
     */
    static byte[] absentInquiry(byte[] cdb) {
        byte[] none = new byte[36];
        none[0] = 0x7F;
        none[4] = 31;
        int alloc = cdb.length >= 5 ? (cdb[3] & 0xFF) << 8 | (cdb[4] & 0xFF) : 0;
        return Arrays.copyOf(none, Math.min(36, alloc));
    }
}
