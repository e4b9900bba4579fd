package org.viridian.machine.acpi;

import java.nio.charset.StandardCharsets;

/**
 * A finished ACPI system description table: the 36-byte header (signature, length, revision, checksum, OEM IDs)
 * followed by the body. The checksum makes all bytes sum to zero.
 */
public record SystemDescriptionTable(String signature, byte[] bytes) {
    public static final String OEM_ID = "VIRIDN";
    public static final String OEM_TABLE_ID = "VIRIDIAN";
    public static final String CREATOR_ID = "VRDN";
    static final int HEADER_SIZE = 36;
    static final int CHECKSUM_OFFSET = 9;

    public SystemDescriptionTable {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /** Starts a table: the header with length and checksum left zero, to be fixed by {@link #finish}. */
    static ByteSink begin(String signature, int revision) {
        if (signature.getBytes(StandardCharsets.US_ASCII).length != 4) throw new IllegalArgumentException(signature);
        return new ByteSink()
                .ascii(signature, 4, ' ')
                .u32(0)
                .u8(revision)
                .u8(0)
                .ascii(OEM_ID, 6, ' ')
                .ascii(OEM_TABLE_ID, 8, ' ')
                .u32(1)
                .ascii(CREATOR_ID, 4, ' ')
                .u32(1);
    }

    /** Patches length and checksum. */
    static SystemDescriptionTable finish(String signature, ByteSink table) {
        table.patchU32(4, table.size());
        byte[] b = table.toByteArray();
        b[CHECKSUM_OFFSET] = (byte) ByteSink.checksum(b, 0, b.length);
        return new SystemDescriptionTable(signature, b);
    }
}
