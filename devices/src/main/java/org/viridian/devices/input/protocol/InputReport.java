package org.viridian.devices.input.protocol;

import java.nio.ByteBuffer;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/** struct synthhid_input_report: one HID input report, laid out as the device's report descriptor says. */
public record InputReport(byte[] report) implements HidMessage {
    /** hid-hyperv's input buffer (HID_MAX_BUFFER_SIZE). */
    public static final int MAX = 16384;

    public InputReport {
        if (report.length > MAX) throw new IllegalArgumentException("report of " + report.length + " bytes");
        report = report.clone();
    }

    public static InputReport parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, 0, "synthhid_input_report");
        if (size > MAX) throw new ProtocolException("input report of " + size + " bytes");
        byte[] r = new byte[size];
        m.get(0, r);
        return new InputReport(r);
    }

    @Override
    public byte[] report() {
        return report.clone();
    }

    @Override
    public int type() {
        return INPUT_REPORT;
    }

    @Override
    public int payloadSize() {
        return report.length;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put(report);
    }
}
