package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * EXECUTE_SRB's body and its completion (Linux storvsc's struct vmscsi_request, 52 bytes): length, SRB status, SCSI
 * status, port, path, target, LUN, CDB length, sense length, data direction, reserved, transfer length, a 20-byte
 * union (the CDB in a request, the sense data in a completion), then struct vmscsi_win8_extension. Guests before
 * win8 send it without that extension (36 bytes). The CDB length is kept as sent, even out of range, so StorVSP can
 * still answer SRB_STATUS_INVALID_REQUEST in the guest's own SRB.
 */
public record VmscsiRequest(
        int length,
        int srbStatus,
        int scsiStatus,
        int port,
        int path,
        int target,
        int lun,
        int cdbLength,
        int senseInfoLength,
        int dataIn,
        int reserved,
        int dataTransferLength,
        byte[] buffer,
        Win8Extension win8)
        implements VstorBody {
    public static final int SIZE = 52, PRE_WIN8_SIZE = 36;
    /** STORVSC_MAX_CMD_LEN and STORVSC_SENSE_BUFFER_SIZE: the union holds either. */
    public static final int CDB_MAX = 16, SENSE_MAX = 20;
    /** SRB status codes (the low 6 bits) and the flag saying the sense data is valid. */
    public static final int SRB_SUCCESS = 0x01,
            SRB_ERROR = 0x04,
            SRB_INVALID_REQUEST = 0x06,
            SRB_INVALID_LUN = 0x20,
            SRB_AUTOSENSE_VALID = 0x80;
    /** data_in: what the data buffer is for (WRITE_TYPE, READ_TYPE, UNKNOWN_TYPE). */
    public static final int DATA_OUT = 0, DATA_IN = 1, DATA_NONE = 2;

    static final int BUFFER_AT = 16;

    /**
     * struct vmscsi_win8_extension: reserved, queue tag, queue action, SRB flags, time-out, queue sort key (all zero
     * when a pre-win8 guest sent none).
     */
    public record Win8Extension(
            int reserve, int queueTag, int queueAction, int srbFlags, int timeOutValue, int queueSortKey) {
        public static final int SIZE = 16;
        public static final Win8Extension NONE = new Win8Extension(0, 0, 0, 0, 0, 0);

        static Win8Extension read(ByteBuffer m, int at) {
            return new Win8Extension(
                    Short.toUnsignedInt(m.getShort(at)),
                    m.get(at + 2) & 0xFF,
                    m.get(at + 3) & 0xFF,
                    m.getInt(at + 4),
                    m.getInt(at + 8),
                    m.getInt(at + 12));
        }

        void writeTo(ByteBuffer b, int at) {
            b.putShort(at, (short) reserve)
                    .put(at + 2, (byte) queueTag)
                    .put(at + 3, (byte) queueAction)
                    .putInt(at + 4, srbFlags)
                    .putInt(at + 8, timeOutValue)
                    .putInt(at + 12, queueSortKey);
        }
    }

    public VmscsiRequest {
        if (buffer.length != SENSE_MAX) {
            throw new IllegalArgumentException("the CDB/sense union is 20 bytes, not " + buffer.length);
        }
        buffer = buffer.clone();
    }

    /** A request for {@code cdb} to {@code lun} on path 0, target 0, moving {@code transfer} bytes. */
    public static VmscsiRequest of(int lun, byte[] cdb, int dataIn, int transfer) {
        if (cdb.length > CDB_MAX) throw new IllegalArgumentException("CDB of " + cdb.length + " bytes");
        return new VmscsiRequest(
                SIZE,
                0,
                0,
                0,
                0,
                0,
                lun,
                cdb.length,
                SENSE_MAX,
                dataIn,
                0,
                transfer,
                Arrays.copyOf(cdb, SENSE_MAX),
                Win8Extension.NONE);
    }

    /**
     * The SRB of a guest speaking {@code version} (null before one is agreed: the pre-win8 size); the win8 extension
     * is read when the bytes carry it.
     */
    public static VmscsiRequest parse(ByteBuffer b, int size, VstorVersion version) throws ProtocolException {
        int min = version == null ? PRE_WIN8_SIZE : version.srbSize();
        ByteBuffer m = Wire.view(b, size, min, "vmscsi_request");
        byte[] union = new byte[SENSE_MAX];
        m.get(BUFFER_AT, union);
        return new VmscsiRequest(
                Short.toUnsignedInt(m.getShort(0)),
                m.get(2) & 0xFF,
                m.get(3) & 0xFF,
                m.get(4) & 0xFF,
                m.get(5) & 0xFF,
                m.get(6) & 0xFF,
                m.get(7) & 0xFF,
                m.get(8) & 0xFF,
                m.get(9) & 0xFF,
                m.get(10) & 0xFF,
                m.get(11) & 0xFF,
                m.getInt(12),
                union,
                size >= SIZE ? Win8Extension.read(m, PRE_WIN8_SIZE) : Win8Extension.NONE);
    }

    /** Whether the CDB length is one a command can have (1..16). */
    public boolean cdbValid() {
        return cdbLength >= 1 && cdbLength <= CDB_MAX;
    }

    /** The command's CDB; only for a request whose {@link #cdbValid()}. */
    public byte[] cdb() {
        if (!cdbValid()) throw new IllegalStateException("CDB length " + cdbLength + " is outside 1.." + CDB_MAX);
        return Arrays.copyOf(buffer, cdbLength);
    }

    /** The sense data of a completion ({@code senseInfoLength} bytes, at most 20). */
    public byte[] sense() {
        return Arrays.copyOf(buffer, Math.min(senseInfoLength, SENSE_MAX));
    }

    /** The transfer length as the unsigned count it is. */
    public long transferLength() {
        return Integer.toUnsignedLong(dataTransferLength);
    }

    /**
     * The completion of this request: its own fields with the outcome filled in, the CDB replaced by the sense data
     * (CHECK CONDITION when there is some) or zeros. {@code transferred} -1 keeps the guest's transfer length; without
     * sense the guest's sense length stays as it sent it.
     */
    public VmscsiRequest completed(int srbStatus, long transferred, byte[] sense) {
        byte[] union = new byte[SENSE_MAX];
        int senseLength = senseInfoLength, scsi = 0;
        if (sense != null) {
            senseLength = Math.min(sense.length, SENSE_MAX);
            System.arraycopy(sense, 0, union, 0, senseLength);
            scsi = CHECK_CONDITION;
        }
        return new VmscsiRequest(
                length,
                srbStatus,
                scsi,
                port,
                path,
                target,
                lun,
                cdbLength,
                senseLength,
                dataIn,
                reserved,
                transferred >= 0 ? (int) transferred : dataTransferLength,
                union,
                win8);
    }

    /** SCSI status CHECK CONDITION (what a completion with sense data says). */
    static final int CHECK_CONDITION = 2;

    @Override
    public void writeTo(ByteBuffer b) {
        int at = b.position();
        b.putShort(at, (short) length)
                .put(at + 2, (byte) srbStatus)
                .put(at + 3, (byte) scsiStatus)
                .put(at + 4, (byte) port)
                .put(at + 5, (byte) path)
                .put(at + 6, (byte) target)
                .put(at + 7, (byte) lun)
                .put(at + 8, (byte) cdbLength)
                .put(at + 9, (byte) senseInfoLength)
                .put(at + 10, (byte) dataIn)
                .put(at + 11, (byte) reserved)
                .putInt(at + 12, dataTransferLength)
                .put(at + BUFFER_AT, buffer);
        win8.writeTo(b, at + PRE_WIN8_SIZE);
    }
}
