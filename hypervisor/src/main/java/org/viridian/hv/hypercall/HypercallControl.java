package org.viridian.hv.hypercall;

/**
 * The hypercall input value (TLFS "Hypercall Inputs"): call code (bits 0–15), fast (16), variable header size in
 * 8-byte units (17–26), rep count (32–43) and rep start index (48–59). Bits 27–31, 44–47 and 60–63 are reserved
 * (bit 27 is the nested flag, which Viridian does not offer) and must be zero.
 */
public record HypercallControl(int code, boolean fast, int varHeaderQwords, int repCount, int repStart) {
    private static final long RESERVED = 0xF8000000L | 0xF000_0000_0000L | 0xF000_0000_0000_0000L;

    /** Null when reserved bits are set. */
    public static HypercallControl decode(long v) {
        if ((v & RESERVED) != 0) return null;
        return new HypercallControl(
                (int) (v & 0xFFFF), (v & (1L << 16)) != 0, (int) ((v >>> 17) & 0x3FF), (int) ((v >>> 32) & 0xFFF), (int)
                        ((v >>> 48) & 0xFFF));
    }

    /** The result value: status in bits 0–15, reps completed in bits 32–43. */
    public static long result(int status, int repsComplete) {
        return (status & 0xFFFFL) | ((long) (repsComplete & 0xFFF) << 32);
    }
}
