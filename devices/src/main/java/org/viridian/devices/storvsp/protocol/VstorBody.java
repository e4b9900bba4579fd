package org.viridian.devices.storvsp.protocol;

import java.nio.ByteBuffer;

/**
 * What follows a vstor packet's header: one member of struct vstor_packet's 52-byte union. Which one is decided by the
 * operation (and, for a completion, by the request it answers).
 */
public sealed interface VstorBody
        permits VmscsiRequest, ProtocolVersion, ChannelProperties, SubChannelCount, VstorBody.None {
    /** Writes the body at {@code b}'s position (absolute, indexed from it); does not move it. */
    void writeTo(ByteBuffer b);

    /** The union left empty: control operations and their plain completions. */
    record None() implements VstorBody {
        @Override
        public void writeTo(ByteBuffer b) {}
    }

    None NONE = new None();
}
