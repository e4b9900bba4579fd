package org.viridian.storage.vhdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.viridian.storage.CorruptImageException;

/** The region table (two copies, at 192 KiB and 256 KiB) locating the BAT and the metadata region. */
public record RegionTable(List<Region> regions) {
    public static final int SIZE = 64 << 10;
    public static final long[] OFFSETS = {192 << 10, 256 << 10};
    public static final Guid BAT = Guid.parse("2DC27766-F623-4200-9D64-115E9BFD4A08");
    public static final Guid METADATA = Guid.parse("8B7CA206-4790-4B9A-B8FE-575F050F886E");
    private static final int SIGNATURE = 0x69676572; // "regi"

    public record Region(Guid guid, long offset, long length, boolean required) {}

    public static RegionTable parse(ByteBuffer raw, String where) throws CorruptImageException {
        ByteBuffer b = raw.slice(raw.position(), SIZE).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != SIGNATURE) throw new CorruptImageException(where + ": signature is not 'regi'");
        int crc = Crc.compute(b, 4);
        if (b.getInt(4) != crc)
            throw new CorruptImageException(
                    String.format("%s: checksum is 0x%08x, expected 0x%08x", where, b.getInt(4), crc));
        long count = Integer.toUnsignedLong(b.getInt(8));
        if (count > 2047) throw new CorruptImageException(where + ": EntryCount " + count + " exceeds 2047");
        List<Region> list = new ArrayList<>();
        Set<Guid> seen = new HashSet<>();
        for (int i = 0; i < count; i++) {
            int at = 16 + 32 * i;
            Region r = new Region(
                    Guid.read(b, at),
                    b.getLong(at + 16),
                    Integer.toUnsignedLong(b.getInt(at + 24)),
                    (b.getInt(at + 28) & 1) != 0);
            String name = where + ": entry " + i + " (" + r.guid + ")";
            if (!seen.add(r.guid)) throw new CorruptImageException(name + " appears twice");
            boolean known = r.guid.equals(BAT) || r.guid.equals(METADATA);
            if (!known && r.required) throw new CorruptImageException(name + " is an unknown required region");
            if (r.offset < (1 << 20) || r.offset % (1 << 20) != 0)
                throw new CorruptImageException(
                        name + ": FileOffset " + r.offset + " is not a multiple of 1 MiB past the header section");
            if (r.length == 0 || r.length % (1 << 20) != 0)
                throw new CorruptImageException(name + ": Length " + r.length + " is not a non-zero multiple of 1 MiB");
            list.add(r);
        }
        RegionTable t = new RegionTable(List.copyOf(list));
        if (t.find(BAT) == null) throw new CorruptImageException(where + ": no BAT region");
        if (t.find(METADATA) == null) throw new CorruptImageException(where + ": no metadata region");
        return t;
    }

    public Region find(Guid g) {
        for (Region r : regions) if (r.guid.equals(g)) return r;
        return null;
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, SIGNATURE).putInt(8, regions.size());
        for (int i = 0; i < regions.size(); i++) {
            Region r = regions.get(i);
            int at = 16 + 32 * i;
            r.guid.write(b, at);
            b.putLong(at + 16, r.offset).putInt(at + 24, (int) r.length).putInt(at + 28, r.required ? 1 : 0);
        }
        Crc.seal(b, 4);
        return b;
    }
}
