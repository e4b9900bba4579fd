package org.viridian.devices.ic.protocol;

/** The body of an IC message, one record per service message; each has {@code static parse(ByteBuffer, int)}. */
public sealed interface IcBody
        permits NegotiateBody, HeartbeatBody, ShutdownBody, TimeSyncData, TimeSyncRefData, KvpMessage {
    /** The body's wire bytes. */
    byte[] toBytes();
}
