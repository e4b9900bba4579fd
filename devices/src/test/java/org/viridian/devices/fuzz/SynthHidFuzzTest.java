package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.input.SyntheticMouse;
import org.viridian.devices.input.protocol.HidMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The synthetic HID protocol from arbitrary packet bytes: HidMessage.parse (type forced to a known one and the
 * headers' sizes made to agree most of the time), round trip of whatever parses, then the bytes into a SyntheticMouse
 * over real rings, which never throws and never fails its channel.
 */
class SynthHidFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.allocate(1 << 20);
    private static final SyntheticMouse DEVICE = new SyntheticMouse(UUID.randomUUID());
    private static final GuestChannel GUEST = new GuestChannel(MEMORY, DEVICE, 16).open();

    @FuzzTest
    void parseAndServe(FuzzedDataProvider data) {
        boolean known = data.consumeBoolean(), agree = data.consumeBoolean();
        int type = data.consumeInt(0, 4);
        byte[] packet = data.consumeBytes(2048);
        ByteBuffer b = ByteBuffer.wrap(packet).order(ByteOrder.LITTLE_ENDIAN);
        if (packet.length >= HidMessage.HEADERS) {
            if (known) b.putInt(8, type);
            if (agree) b.putInt(0, 1).putInt(4, packet.length - 8).putInt(12, packet.length - 16);
        }
        try {
            HidMessage m = HidMessage.parse(packet);
            HidMessage again = HidMessage.parse(m.toBytes());
            assertThat(sameValue(m, again)).as("%s round-trips", m).isTrue();
            assertThat(again.toBytes()).isEqualTo(m.toBytes());
        } catch (ProtocolException declared) {
            // refused, by the device too
        }
        GUEST.send(packet);
        GUEST.drain();
        assertThat(GUEST.failures).isEmpty();
    }
}
