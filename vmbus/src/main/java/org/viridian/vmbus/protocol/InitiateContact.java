package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The guest proposes a protocol version (struct vmbus_channel_initiate_contact): the version, the VP to interrupt,
 * the interrupt page before 5.0 or from 5.0 the message SINT in its low byte, and two monitor pages. The version is
 * kept as sent: an unknown one is answered "not supported", not dropped.
 */
public record InitiateContact(
        int requestedVersion, int targetVp, long interruptPageOrSint, long monitorPage1, long monitorPage2)
        implements VmbusMessage.FromGuest {
    public static final int SIZE = 40;

    public static InitiateContact parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, SIZE, "INITIATE_CONTACT");
        return new InitiateContact(m.getInt(8), m.getInt(12), m.getLong(16), m.getLong(24), m.getLong(32));
    }

    public Optional<VmbusVersion> version() {
        return VmbusVersion.of(requestedVersion);
    }

    /** Whether the requested version is 5.0 or later, known or not (the SINT field is then meaningful). */
    public boolean modern() {
        return Integer.compareUnsigned(requestedVersion, VmbusVersion.WIN10_V5.code()) >= 0;
    }

    /** The SINT the guest wants messages on (5.0 and later), else the default. */
    public int messageSint() {
        return modern() ? (int) (interruptPageOrSint & 0xFF) : Vmbus.DEFAULT_SINT;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this)
                .putInt(8, requestedVersion)
                .putInt(12, targetVp)
                .putLong(16, interruptPageOrSint)
                .putLong(24, monitorPage1)
                .putLong(32, monitorPage2);
    }
}
