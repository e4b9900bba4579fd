package org.viridian.devices.storvsp.protocol;

/** The NT status codes StorVSP answers with in struct vstor_packet's status. */
public enum VstorStatus {
    SUCCESS(0),
    UNSUCCESSFUL(0xC0000001),
    INVALID_PARAMETER(0xC000000D),
    INVALID_DEVICE_REQUEST(0xC0000010),
    REVISION_MISMATCH(0xC0000059);

    private final int code;

    VstorStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
