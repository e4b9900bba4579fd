package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthhid_device_info_ack: the guest took the device info (one reserved byte). */
public record HidDeviceInfoAck(int reserved) implements HidMessage {
    public static final int SIZE = 1;

    public HidDeviceInfoAck {
        if (reserved < 0 || reserved > 0xFF) throw new IllegalArgumentException("reserved " + reserved);
    }

    public static HidDeviceInfoAck parse(ByteBuffer b, int size) throws ProtocolException {
        return new HidDeviceInfoAck(
                Wire.view(b, size, SIZE, "synthhid_device_info_ack").get(0) & 0xFF);
    }

    @Override
    public int type() {
        return INITIAL_DEVICE_INFO_ACK;
    }

    @Override
    public int payloadSize() {
        return SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put((byte) reserved);
    }
}
