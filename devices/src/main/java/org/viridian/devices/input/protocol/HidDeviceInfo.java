package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synthhid_device_info: struct hv_input_dev_info (size, vendor, product, version, 11 reserved u16: 32 bytes),
 * then a USB-style HID descriptor (struct hid_descriptor: bLength, type 0x21, bcdHID, country, one class descriptor
 * of type 0x22 with the report descriptor's length), then the report descriptor itself, which hid-hyperv reads
 * right after bLength bytes of the HID descriptor.
 */
public record HidDeviceInfo(int vendor, int product, int version, int bcdHid, int country, byte[] reportDescriptor)
        implements HidMessage {
    public static final int DEV_INFO = 32, HID_DESCRIPTOR = 9, FIXED = DEV_INFO + HID_DESCRIPTOR;
    public static final int TYPE_HID = 0x21, TYPE_REPORT = 0x22;

    public HidDeviceInfo {
        for (int v : new int[] {vendor, product, version, bcdHid})
            if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException("u16 field " + v);
        if (country < 0 || country > 0xFF) throw new IllegalArgumentException("country " + country);
        if (reportDescriptor.length == 0 || reportDescriptor.length > 0xFFFF)
            throw new IllegalArgumentException("report descriptor of " + reportDescriptor.length + " bytes");
        reportDescriptor = reportDescriptor.clone();
    }

    public static HidDeviceInfo parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "synthhid_device_info");
        int length = m.get(DEV_INFO) & 0xFF;
        if (length < HID_DESCRIPTOR || m.get(DEV_INFO + 1) != TYPE_HID || m.get(DEV_INFO + 5) < 1)
            throw new ProtocolException("HID descriptor of " + length + " bytes, type " + m.get(DEV_INFO + 1));
        if (m.get(DEV_INFO + 6) != TYPE_REPORT)
            throw new ProtocolException("class descriptor type " + m.get(DEV_INFO + 6) + ", expected a report's");
        int reportLength = Short.toUnsignedInt(m.getShort(DEV_INFO + 7));
        if (reportLength == 0 || DEV_INFO + length + reportLength > size)
            throw new ProtocolException("report descriptor of " + reportLength + " bytes in " + size);
        byte[] report = new byte[reportLength];
        m.get(DEV_INFO + length, report);
        return new HidDeviceInfo(
                Short.toUnsignedInt(m.getShort(4)),
                Short.toUnsignedInt(m.getShort(6)),
                Short.toUnsignedInt(m.getShort(8)),
                Short.toUnsignedInt(m.getShort(DEV_INFO + 2)),
                m.get(DEV_INFO + 4) & 0xFF,
                report);
    }

    @Override
    public byte[] reportDescriptor() {
        return reportDescriptor.clone();
    }

    @Override
    public int type() {
        return INITIAL_DEVICE_INFO;
    }

    @Override
    public int payloadSize() {
        return FIXED + reportDescriptor.length;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.putInt(DEV_INFO).putShort((short) vendor).putShort((short) product).putShort((short) version);
        for (int i = 0; i < 11; i++) b.putShort((short) 0);
        b.put((byte) HID_DESCRIPTOR)
                .put((byte) TYPE_HID)
                .putShort((short) bcdHid)
                .put((byte) country);
        b.put((byte) 1).put((byte) TYPE_REPORT).putShort((short) reportDescriptor.length);
        b.put(reportDescriptor);
    }
}
