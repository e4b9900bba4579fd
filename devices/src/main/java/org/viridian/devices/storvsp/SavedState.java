package org.viridian.devices.storvsp;

import java.nio.charset.StandardCharsets;
import org.viridian.devices.storvsp.protocol.VstorVersion;

/**
 * StorVSP's own part of a saved VM: the negotiated protocol version (null before the guest asked), whether the
 * handshake ended, and how many sub-channels the guest was given. Written as {@code VERSION;initialized;count} (a
 * state without the count, from before sub-channels were saved, has none).
 */
record SavedState(VstorVersion version, boolean initialized, int subChannels) {
    static SavedState of(VstorVersion version, boolean initialized, int subChannels) {
        return new SavedState(version, initialized && version != null, subChannels);
    }

    byte[] toBytes() {
        return ((version == null ? "" : version.name()) + ";" + initialized + ";" + subChannels)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Throws IllegalArgumentException for a state no StorVSP wrote. */
    static SavedState parse(byte[] bytes) {
        String[] s = new String(bytes, StandardCharsets.UTF_8).split(";", -1);
        if (s.length != 2 && s.length != 3) throw new IllegalArgumentException("storvsp: saved state is malformed");
        VstorVersion version;
        try {
            version = s[0].isEmpty() ? null : VstorVersion.valueOf(s[0]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("storvsp: saved protocol version " + s[0] + " is unknown here");
        }
        int count;
        try {
            count = s.length == 3 ? Integer.parseInt(s[2]) : 0;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("storvsp: saved sub-channel count " + s[2] + " is malformed");
        }
        if (count < 0) throw new IllegalArgumentException("storvsp: saved sub-channel count " + count);
        return of(version, Boolean.parseBoolean(s[1]), count);
    }
}
