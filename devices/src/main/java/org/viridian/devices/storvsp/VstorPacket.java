package org.viridian.devices.storvsp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The storage VSP's message (Linux storvsc's struct vstor_packet): operation, flags, status, then a 52-byte union —
 * the SCSI request block for EXECUTE_SRB and its completion, the protocol version, or the channel properties. Pre-win8
 * guests send the SRB without its last 16 bytes. Offsets here are from the start of the packet's data.
 */
final class VstorPacket {
    static final int SIZE = 64, HEADER = 12, SRB = HEADER, SRB_PRE_WIN8 = 36;
    static final int COMPLETE_IO = 1, REMOVE_DEVICE = 2, EXECUTE_SRB = 3, RESET_LUN = 4, RESET_ADAPTER = 5, RESET_BUS = 6,
            BEGIN_INITIALIZATION = 7, END_INITIALIZATION = 8, QUERY_PROTOCOL_VERSION = 9, QUERY_PROPERTIES = 10,
            ENUMERATE_BUS = 11, FCHBA_DATA = 12, CREATE_SUB_CHANNELS = 13;
    static final int FLAG_REQUEST_COMPLETION = 1;
    /** NT status codes the VSP answers with. */
    static final int STATUS_SUCCESS = 0, STATUS_UNSUCCESSFUL = 0xC0000001, STATUS_INVALID_PARAMETER = 0xC000000D,
            STATUS_INVALID_DEVICE_REQUEST = 0xC0000010, STATUS_REVISION_MISMATCH = 0xC0000059;

    // vmscsi_request fields, relative to SRB.
    static final int SRB_LENGTH = 0, SRB_STATUS = 2, SCSI_STATUS = 3, PORT = 4, PATH = 5, TARGET = 6, LUN = 7,
            CDB_LENGTH = 8, SENSE_LENGTH = 9, DATA_IN = 10, TRANSFER_LENGTH = 12, CDB = 16, CDB_MAX = 16, SENSE_MAX = 20;
    // SRB status codes (the low 6 bits) and flags.
    static final int SRB_SUCCESS = 0x01, SRB_ERROR = 0x04, SRB_INVALID_REQUEST = 0x06, SRB_INVALID_LUN = 0x20,
            SRB_AUTOSENSE_VALID = 0x80;

    private VstorPacket() {}

    static ByteBuffer wrap(byte[] data) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A completion of {@code status} with nothing else (the answer to every control operation). */
    static ByteBuffer completion(int status) {
        return ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, COMPLETE_IO).putInt(8, status);
    }
}
