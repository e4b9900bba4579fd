package org.viridian.devices.scsi;

/**
 * SCSI sense data (SPC-4 fixed format): what a CHECK CONDITION tells the initiator went wrong, as sense key and
 * additional sense code/qualifier.
 */
public record Sense(int key, int asc, int ascq) {
    public static final int NOT_READY = 2,
            MEDIUM_ERROR = 3,
            HARDWARE_ERROR = 4,
            ILLEGAL_REQUEST = 5,
            UNIT_ATTENTION = 6,
            DATA_PROTECT = 7,
            ABORTED_COMMAND = 0xB;

    public static final Sense INVALID_OPCODE = new Sense(ILLEGAL_REQUEST, 0x20, 0);
    public static final Sense LBA_OUT_OF_RANGE = new Sense(ILLEGAL_REQUEST, 0x21, 0);
    public static final Sense INVALID_FIELD_IN_CDB = new Sense(ILLEGAL_REQUEST, 0x24, 0);
    public static final Sense LUN_NOT_SUPPORTED = new Sense(ILLEGAL_REQUEST, 0x25, 0);
    public static final Sense INVALID_FIELD_IN_PARAMETERS = new Sense(ILLEGAL_REQUEST, 0x26, 0);
    public static final Sense PARAMETER_LIST_LENGTH_ERROR = new Sense(ILLEGAL_REQUEST, 0x1A, 0);
    public static final Sense WRITE_PROTECTED = new Sense(DATA_PROTECT, 0x27, 0);
    public static final Sense READ_ERROR = new Sense(MEDIUM_ERROR, 0x11, 0);
    public static final Sense WRITE_ERROR = new Sense(MEDIUM_ERROR, 0x0C, 0);
    /** The data buffer the initiator described cannot be used (e.g. it is not in its memory). */
    public static final Sense DATA_TRANSFER_ERROR = new Sense(ABORTED_COMMAND, 0x4B, 0);

    /** Fixed-format sense: response code 0x70, key at byte 2, additional length 10, ASC/ASCQ at 12/13. */
    public byte[] fixed() {
        byte[] b = new byte[18];
        b[0] = 0x70;
        b[2] = (byte) key;
        b[7] = 10;
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        return b;
    }
}
