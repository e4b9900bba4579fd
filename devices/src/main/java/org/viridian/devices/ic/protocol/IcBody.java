package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;

/** The body of an IC message, one record per service message; each has {@code static parse(ByteBuffer, int)}. */
public sealed interface IcBody permits NegotiateBody, HeartbeatBody, ShutdownBody, TimeSyncData, TimeSyncRefData {
    int size();

    /** Writes the body from {@code b}'s position (absolute, relative to it); does not move it. */
    void writeTo(ByteBuffer b);
}
