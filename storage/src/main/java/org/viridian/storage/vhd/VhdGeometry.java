package org.viridian.storage.vhd;

/** CHS geometry as the VHD specification's appendix computes it (rounding down), packed C:16 H:8 S:8. */
public record VhdGeometry(int cylinders, int heads, int sectorsPerTrack) {
    public static VhdGeometry forSize(long bytes) {
        long total = Math.min(bytes / 512, 65535L * 16 * 255);
        long spt, heads, cth;
        if (total >= 65535L * 16 * 63) {
            spt = 255;
            heads = 16;
            cth = total / spt;
        } else {
            spt = 17;
            cth = total / spt;
            heads = Math.max(4, (cth + 1023) / 1024);
            if (cth >= heads * 1024 || heads > 16) {
                spt = 31;
                heads = 16;
                cth = total / spt;
            }
            if (cth >= heads * 1024) {
                spt = 63;
                heads = 16;
                cth = total / spt;
            }
        }
        return new VhdGeometry((int) (cth / heads), (int) heads, (int) spt);
    }

    public static VhdGeometry unpack(int v) {
        return new VhdGeometry(v >>> 16, (v >>> 8) & 0xFF, v & 0xFF);
    }

    public int pack() {
        return cylinders << 16 | heads << 8 | sectorsPerTrack;
    }

    public long bytes() {
        return (long) cylinders * heads * sectorsPerTrack * 512;
    }

    @Override
    public String toString() {
        return cylinders + "/" + heads + "/" + sectorsPerTrack;
    }
}
