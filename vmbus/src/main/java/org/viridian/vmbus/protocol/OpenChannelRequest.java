package org.viridian.vmbus.protocol;

import java.nio.ByteBuffer;

/** The guest opens a channel on the rings in a GPADL: pages before the offset are the ring it writes. The 120
 * user-defined bytes after the offset are not used (older guests send only the fields). Mirrors Linux's struct
 * vmbus_channel_open_channel. */
public record OpenChannelRequest(int childRelid, int openId, int ringGpadl, int targetVp, int downstreamPageOffset)
        implements VmbusMessage.FromGuest {
    public static OpenChannelRequest parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 28, "OPEN_CHANNEL");
        return new OpenChannelRequest(m.getInt(8), m.getInt(12), m.getInt(16), m.getInt(20), m.getInt(24));
    }

    @Override
    public void writeTo(ByteBuffer b) {
        VmbusMessage.header(b, this)
                .putInt(8, childRelid)
                .putInt(12, openId)
                .putInt(16, ringGpadl)
                .putInt(20, targetVp)
                .putInt(24, downstreamPageOffset);
    }
}
