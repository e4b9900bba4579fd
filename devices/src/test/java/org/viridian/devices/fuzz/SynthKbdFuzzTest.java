package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.UUID;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.input.SyntheticKeyboard;
import org.viridian.devices.input.protocol.KbdMessage;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The synthetic keyboard protocol from arbitrary packet bytes: KbdMessage.parse (type forced to a known one most of
 * the time), round trip of whatever parses, then the bytes into a SyntheticKeyboard over real rings, which never
 * throws and never fails its channel.
 */
class SynthKbdFuzzTest {
    private static final GuestMemory MEMORY = GuestMemory.allocate(1 << 20);
    private static final SyntheticKeyboard DEVICE = new SyntheticKeyboard(UUID.randomUUID());
    private static final GuestChannel GUEST = new GuestChannel(MEMORY, DEVICE, 16).open();

    @FuzzTest
    void parseAndServe(FuzzedDataProvider data) {
        boolean known = data.consumeBoolean();
        int type = data.consumeInt(1, 3);
        byte[] packet = data.consumeBytes(1024);
        if (known && packet.length >= 4) packet[0] = (byte) type;
        try {
            KbdMessage m = KbdMessage.parse(packet);
            assertThat(KbdMessage.parse(m.toBytes())).isEqualTo(m);
        } catch (ProtocolException declared) {
            // refused, by the device too
        }
        GUEST.send(packet);
        GUEST.drain();
        assertThat(GUEST.failures).isEmpty();
    }
}
