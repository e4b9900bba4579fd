package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.video.SyntheticVideo;
import org.viridian.devices.video.protocol.SynthvidMessage;
import org.viridian.devices.video.protocol.SynthvidType;
import org.viridian.devices.video.protocol.SynthvidVersion;
import org.viridian.devices.video.protocol.VersionRequest;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The synthetic video protocol from arbitrary packet bytes: SynthvidMessage.parse (the type forced to a known one most
 * of the time, the headers' sizes made to agree half the time), then the same bytes into a negotiated
 * SyntheticVideo over real rings. Rules: ProtocolException is the only failure of parse; whatever parses writes back
 * to bytes that parse to an equal record; the device never throws and never fails its channel (bad messages are
 * refused one by one), its picture stays inside guest memory and its dirty rectangles inside the screen.
 */
class SynthvidFuzzTest {
    private static final SynthvidType[] TYPES = SynthvidType.values();
    private static final GuestMemory MEMORY = GuestMemory.allocate(16 << 20);
    private static final SyntheticVideo DEVICE = new SyntheticVideo(MEMORY, UUID.randomUUID());
    private static final GuestChannel GUEST = new GuestChannel(MEMORY, DEVICE, 16).open();

    static {
        GUEST.send(new VersionRequest(SynthvidVersion.WIN10.code()).toBytes());
        GUEST.drain();
    }

    @FuzzTest
    void parseAndServe(FuzzedDataProvider data) {
        boolean known = data.consumeBoolean(), agree = data.consumeBoolean();
        int type = known ? TYPES[data.consumeInt(0, TYPES.length - 1)].code() : data.consumeInt();
        byte[] packet = data.consumeBytes(4096);
        ByteBuffer b = ByteBuffer.wrap(packet).order(ByteOrder.LITTLE_ENDIAN);
        if (packet.length >= SynthvidMessage.HEADERS) {
            b.putInt(8, type);
            if (agree) b.putInt(0, 1).putInt(4, packet.length - 8).putInt(12, packet.length - 8);
        }
        try {
            SynthvidMessage m = SynthvidMessage.parse(packet);
            byte[] written = m.toBytes();
            SynthvidMessage again;
            try {
                again = SynthvidMessage.parse(written);
            } catch (ProtocolException e) {
                throw new AssertionError(m + " writes bytes that do not parse: " + e.getMessage(), e);
            }
            assertThat(sameValue(m, again))
                    .as("%s round-trips, got %s", m, again)
                    .isTrue();
            assertThat(again.toBytes()).isEqualTo(written);
        } catch (ProtocolException declared) {
            // refused: the device must refuse it too, below
        }
        GUEST.send(packet);
        GUEST.drain();
        assertThat(GUEST.failures).isEmpty();
        // Whatever the guest said, the picture the host would read lies inside guest memory (checked without reading
        // it: a full frame per input would starve the fuzzer).
        var s = DEVICE.state();
        if (s.vramGpa() >= 0 && s.mode() != null)
            assertThat(MEMORY.contains(
                            s.vramGpa() + s.mode().vramOffset(), s.mode().bytes()))
                    .isTrue();
        DEVICE.takeDirt().forEach(r -> assertThat(
                        r.x2() <= s.mode().width() && r.y2() <= s.mode().height())
                .isTrue());
    }
}
