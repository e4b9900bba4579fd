package org.viridian.devices.storvsp.protocol;

import java.util.List;
import java.util.Optional;

/**
 * The storage protocol versions StorVSP serves (Linux storvsc's VMSTOR_PROTO_VERSION_*, major << 8 | minor). From
 * win8 on the SRB carries its 16-byte win8 extension and a controller may offer sub-channels.
 */
public enum VstorVersion {
    WIN6(0x0200),
    WIN7(0x0402),
    WIN8(0x0501),
    WIN8_1(0x0600),
    WIN10(0x0602);

    private final int code;

    VstorVersion(int code) {
        this.code = code;
    }

    /** major << 8 | minor, as struct vmstorage_protocol_version's major_minor carries it. */
    public int code() {
        return code;
    }

    public boolean atLeast(VstorVersion v) {
        return compareTo(v) >= 0;
    }

    /** Bytes of struct vmscsi_request a guest of this version sends. */
    public int srbSize() {
        return atLeast(WIN8) ? VmscsiRequest.SIZE : VmscsiRequest.PRE_WIN8_SIZE;
    }

    public static Optional<VstorVersion> of(int code) {
        for (VstorVersion v : values()) if (v.code == code) return Optional.of(v);
        return Optional.empty();
    }

    /** Newest first, the order a guest tries them in. */
    public static List<VstorVersion> newestFirst() {
        return List.of(WIN10, WIN8_1, WIN8, WIN7, WIN6);
    }
}
