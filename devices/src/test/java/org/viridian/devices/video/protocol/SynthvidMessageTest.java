package org.viridian.devices.video.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.viridian.testkit.RecordValues.sameValue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.viridian.vmbus.protocol.ProtocolException;

class SynthvidMessageTest {
    static Stream<SynthvidMessage> messages() {
        return Stream.of(
                new VersionRequest(SynthvidVersion.WIN10.code()),
                new VersionResponse(SynthvidVersion.WIN8.code(), true, 1),
                new ResolutionRequest(64),
                new ResolutionResponse(
                        new byte[128], 1, true, List.of(new Resolution(1024, 768), new Resolution(800, 600))),
                new VramLocation(0x1234_5000L, true, 0x1234_5000L),
                new VramLocationAck(0x1234_5000L),
                new SituationUpdate(0, List.of(new VideoOutput(true, 0, 32, 1024, 768, 4096))),
                new SituationUpdateAck(9),
                new PointerPosition(true, 0, -3, 700),
                new PointerShape(PointerShape.COMPLETE, true, 1, 1, 0, 0, new byte[] {0, 1, 1, 1}),
                new FeatureChange(true, false, true, false),
                new Dirt(0, List.of(new Rect(0, 10, 1024, 20), new Rect(5, 5, 6, 6))));
    }

    @ParameterizedTest
    @MethodSource("messages")
    void roundTrips(SynthvidMessage m) throws ProtocolException {
        byte[] wire = m.toBytes();
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).isEqualTo(SynthvidMessage.PIPE_MSG_DATA);
        assertThat(b.getInt(4)).isEqualTo(wire.length - 8).isEqualTo(b.getInt(12));
        assertThat(b.getInt(8)).isEqualTo(m.type().code());
        // The ring pads every packet to 8 bytes: the padding is not part of the message.
        byte[] padded = java.util.Arrays.copyOf(wire, (wire.length + 7) & ~7);
        assertThat(sameValue(SynthvidMessage.parse(padded), m)).isTrue();
    }

    /** The bytes hyperv_fb's synthvid_send_config writes for its VRAM (headers 16 + packed struct 17). */
    @Test
    void readsLinuxVramLocation() throws ProtocolException {
        ByteBuffer b = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1)
                .putInt(25)
                .putInt(3)
                .putInt(25)
                .putLong(0xF800_0000L)
                .put((byte) 1)
                .putLong(0xF800_0000L);
        assertThat(SynthvidMessage.parse(b.array())).isEqualTo(new VramLocation(0xF800_0000L, true, 0xF800_0000L));
    }

    /** hyperv_fb's synthvid_send_situ: one output, header size 8 + 27 (the struct's array of one). */
    @Test
    void readsLinuxSituation() throws ProtocolException {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1).putInt(35).putInt(5).putInt(35).putLong(0).put((byte) 1);
        b.put((byte) 1).putInt(0).put((byte) 32).putInt(1152).putInt(864).putInt(4608);
        assertThat(SynthvidMessage.parse(b.array()))
                .isEqualTo(new SituationUpdate(0, List.of(new VideoOutput(true, 0, 32, 1152, 864, 4608))));
    }

    @Test
    void versionsAreMinorHighMajorLow() {
        assertThat(SynthvidVersion.WIN10.code()).isEqualTo(0x0005_0003);
        assertThat(SynthvidVersion.WIN8.code()).isEqualTo(0x0002_0003);
        assertThat(SynthvidVersion.WIN7.code()).isEqualTo(3);
    }

    static Stream<byte[]> hostile() {
        return Stream.of(
                new byte[15], // shorter than the headers
                header(0, 8, 1, 8, 16), // pipe type INVALID
                header(1, 64, 1, 12, 24), // pipe size past the packet
                header(1, 12, 1, 16, 24), // video size past the pipe
                header(1, 8, 1, 4, 16), // video size smaller than its header
                header(1, 12, 99, 12, 24), // unknown type
                header(1, 8, 1, 8, 24), // version request without its version
                header(1, 8 + 2 + 16, 10, 8 + 2 + 16, 40, 0, 2), // two rectangles, room for one
                header(1, 8 + 9, 5, 8 + 9, 32, 0, 0, 0, 0, 0, 0, 0, 0, 1), // one output, no room for it
                header(1, 8 + 18, 8, 8 + 18, 40, 0xFF, 1, 97, 0, 0, 0, 1)); // a 97-pixel-wide pointer
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void refusesWhatDoesNotHold(byte[] wire) {
        assertThatThrownBy(() -> SynthvidMessage.parse(wire)).isInstanceOf(ProtocolException.class);
    }

    /** Pipe and video headers, then {@code payload} bytes, in {@code total} bytes. */
    static byte[] header(int pipeType, int pipeSize, int type, int videoSize, int total, int... payload) {
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(pipeType).putInt(pipeSize).putInt(type).putInt(videoSize);
        for (int p : payload) if (b.hasRemaining()) b.put((byte) p);
        return b.array();
    }
}
