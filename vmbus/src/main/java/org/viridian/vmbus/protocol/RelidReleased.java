package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest forgot a rescinded channel. Mirrors Linux's struct vmbus_channel_relid_released. */
public record RelidReleased(int childRelid) implements VmbusMessage.FromGuest {
    public static RelidReleased parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 12, "RELID_RELEASED");
        return new RelidReleased(m.getInt(8));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this).putInt(8, childRelid);
    }
}
