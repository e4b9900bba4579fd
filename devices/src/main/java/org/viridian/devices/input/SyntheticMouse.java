package org.viridian.devices.input;

import java.util.HexFormat;
import java.util.UUID;
import org.viridian.devices.input.protocol.HidDeviceInfo;
import org.viridian.devices.input.protocol.HidDeviceInfoAck;
import org.viridian.devices.input.protocol.HidMessage;
import org.viridian.devices.input.protocol.HidProtocolRequest;
import org.viridian.devices.input.protocol.HidProtocolResponse;
import org.viridian.devices.input.protocol.InputReport;
import org.viridian.vmbus.ring.Packet;

/**
 * The synthetic mouse (class cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a; Linux's hid_hyperv drives it): the guest asks for
 * protocol 2.0, the host approves and sends the device info (IDs, HID descriptor, report descriptor), the guest acks,
 * then the host sends input reports of an absolute pointer with three buttons and a wheel.
 */
public final class SyntheticMouse extends InputDevice {
    public static final UUID CLASS_ID = UUID.fromString("cfa8b69e-5b4a-4cc0-b98b-8ba1a1f3f95a");
    public static final int VENDOR = 0x045E, PRODUCT = 0x0621, VERSION = 0x0001;

    /**
     * Generic Desktop Mouse: a pointer collection of buttons 1-3 (and 5 bits of padding), X and Y absolute in
     * 0..32767 (16 bits each), and a relative wheel (-127..127). Byte 14 is not 0x25: hid_hyperv rewrites a 0x25 there
     * (a workaround for Hyper-V's own descriptor).
     */
    public static final byte[] REPORT_DESCRIPTOR = HexFormat.of()
            .parseHex(
                    "05010902a1010901a100" // usage page desktop, mouse, application, pointer, physical
                            + "050919012903150025019503750181029501750581" + "03" // buttons 1-3 and padding
                            + "0501093009311500" + "26ff7f" + "751095028102" // X, Y: 0..32767, 16 bits
                            + "0938" + "1581257f" + "750895018106" // wheel: -127..127, relative
                            + "c0c0");

    public SyntheticMouse(UUID instance) {
        super("synthhid", instance);
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    protected void onPacket(Packet p) {
        HidMessage m = parsed(p, HidMessage::parse);
        if (m == null) return;
        switch (m) {
            case HidProtocolRequest r -> {
                boolean approved = r.version() == HidProtocolRequest.VERSION_2_0;
                sendInBand(new HidProtocolResponse(r.version(), approved).toBytes());
                if (approved) {
                    sendInBand(new HidDeviceInfo(VENDOR, PRODUCT, VERSION, 0x0101, 0, REPORT_DESCRIPTOR).toBytes());
                }
            }
            case HidDeviceInfoAck a -> ready(true);
            default -> refuse(m.getClass().getSimpleName() + " comes from the host, not the guest");
        }
    }

    /** Sends the pointer's state; false when the guest's driver is not ready. */
    public boolean pointer(PointerEvent e) {
        return deliver(new InputReport(e.report()).toBytes());
    }
}
