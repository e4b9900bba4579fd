package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * One synthetic HID message (hid-hyperv's struct pipe_prt_msg around struct synthhid_msg_hdr): a pipe header (type
 * PIPE_MESSAGE_DATA, size of what follows), the HID header (type, size of the payload), then the payload as a record.
 * hid-hyperv copies a protocol response only while the pipe size is 13 bytes at most, so every message here keeps
 * the pipe size exactly header + payload.
 */
public sealed interface HidMessage
        permits HidProtocolRequest, HidProtocolResponse, HidDeviceInfo, HidDeviceInfoAck, InputReport {
    int PIPE_MESSAGE_DATA = 1;
    int PROTOCOL_REQUEST = 0, PROTOCOL_RESPONSE = 1, INITIAL_DEVICE_INFO = 2, INITIAL_DEVICE_INFO_ACK = 3;
    int INPUT_REPORT = 4;
    /** Pipe header plus HID header. */
    int HEADERS = 16;

    int type();

    int payloadSize();

    /** Writes the payload at {@code b}'s position (little-endian) and moves past it. */
    void writeTo(ByteBuffer b);

    static HidMessage parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, HEADERS, "pipe_prt_msg");
        if (m.getInt(0) != PIPE_MESSAGE_DATA) throw new ProtocolException("pipe message type " + m.getInt(0));
        long pipe = Integer.toUnsignedLong(m.getInt(4)), hid = Integer.toUnsignedLong(m.getInt(12));
        if (pipe < 8 || pipe > size - 8) throw new ProtocolException("pipe size " + pipe + " in a packet of " + size);
        if (hid > pipe - 8) throw new ProtocolException("synthhid size " + hid + " in a pipe of " + pipe);
        int n = (int) hid;
        ByteBuffer p = Wire.view(m.position(HEADERS), n, 0, "synthhid payload");
        return switch (m.getInt(8)) {
            case PROTOCOL_REQUEST -> HidProtocolRequest.parse(p, n);
            case PROTOCOL_RESPONSE -> HidProtocolResponse.parse(p, n);
            case INITIAL_DEVICE_INFO -> HidDeviceInfo.parse(p, n);
            case INITIAL_DEVICE_INFO_ACK -> HidDeviceInfoAck.parse(p, n);
            case INPUT_REPORT -> InputReport.parse(p, n);
            default -> throw new ProtocolException("synthhid message type " + m.getInt(8));
        };
    }

    static HidMessage parse(byte[] data) throws ProtocolException {
        return parse(ByteBuffer.wrap(data), data.length);
    }

    default byte[] toBytes() {
        int n = payloadSize();
        return Wire.bytes(HEADERS + n, b -> {
            b.putInt(PIPE_MESSAGE_DATA).putInt(8 + n).putInt(type()).putInt(n);
            writeTo(b);
        });
    }
}
