package org.viridian.devices.scsi;

/** How a command ended: GOOD with the bytes moved, or CHECK CONDITION with its sense data. */
public record ScsiResult(int status, Sense sense, long transferred) {
    public static final int GOOD = 0, CHECK_CONDITION = 2;

    public static ScsiResult good(long transferred) {
        return new ScsiResult(GOOD, null, transferred);
    }

    public static ScsiResult check(Sense sense) {
        return new ScsiResult(CHECK_CONDITION, sense, 0);
    }

    public boolean ok() {
        return status == GOOD;
    }
}
