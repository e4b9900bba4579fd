package org.viridian.devices.video;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.viridian.devices.GuestChannel;
import org.viridian.devices.video.protocol.Dirt;
import org.viridian.devices.video.protocol.FeatureChange;
import org.viridian.devices.video.protocol.PointerPosition;
import org.viridian.devices.video.protocol.PointerShape;
import org.viridian.devices.video.protocol.Rect;
import org.viridian.devices.video.protocol.Resolution;
import org.viridian.devices.video.protocol.ResolutionRequest;
import org.viridian.devices.video.protocol.ResolutionResponse;
import org.viridian.devices.video.protocol.SituationUpdate;
import org.viridian.devices.video.protocol.SynthvidMessage;
import org.viridian.devices.video.protocol.SynthvidVersion;
import org.viridian.devices.video.protocol.VersionRequest;
import org.viridian.devices.video.protocol.VersionResponse;
import org.viridian.devices.video.protocol.VideoOutput;
import org.viridian.devices.video.protocol.VramLocation;
import org.viridian.devices.video.protocol.VramLocationAck;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.ProtocolException;

/** SyntheticVideo over real rings, the guest played as hyperv_fb's probe does it (synthvid_connect_vsp and on). */
class SyntheticVideoTest {
    static final long VRAM = 8 << 20;
    final GuestMemory memory = GuestMemory.allocate(16 << 20);
    final SyntheticVideo video = new SyntheticVideo(memory, UUID.randomUUID());
    final GuestChannel guest = new GuestChannel(memory, video, 8).open();

    @AfterEach
    void close() {
        memory.close();
    }

    SynthvidMessage ask(SynthvidMessage m) throws ProtocolException {
        guest.send(m.toBytes());
        return SynthvidMessage.parse(guest.receive().orElseThrow(() -> new AssertionError("no answer to " + m)));
    }

    @ParameterizedTest
    @EnumSource(SynthvidVersion.class)
    void acceptsEveryVersionLinuxProposes(SynthvidVersion v) throws ProtocolException {
        assertThat(ask(new VersionRequest(v.code()))).isEqualTo(new VersionResponse(v.code(), true, 1));
        assertThat(video.state().version()).isEqualTo(v);
    }

    @Test
    void refusesAnUnknownVersionAndTakesTheNextProposal() throws ProtocolException {
        int future = 7 << 16 | 3;
        assertThat(ask(new VersionRequest(future))).isEqualTo(new VersionResponse(future, false, 1));
        assertThat(video.state().version()).isNull();
        assertThat(ask(new VersionRequest(SynthvidVersion.WIN8.code())))
                .isEqualTo(new VersionResponse(SynthvidVersion.WIN8.code(), true, 1));
    }

    /** WIN10: resolutions, VRAM, mode, pixels in; the host's picture and PNG show them. */
    @Test
    void showsWhatTheGuestDrew() throws Exception {
        ask(new VersionRequest(SynthvidVersion.WIN10.code()));
        var res = (ResolutionResponse) ask(new ResolutionRequest(64));
        assertThat(res.resolutions().get(res.defaultIndex())).isEqualTo(new Resolution(1024, 768));
        assertThat(ask(new VramLocation(VRAM, true, VRAM))).isEqualTo(new VramLocationAck(VRAM));
        assertThat(SynthvidMessage.parse(guest.receive().orElseThrow()))
                .isEqualTo(new FeatureChange(true, true, true, true));
        assertThat(video.screen()).as("no mode yet").isEmpty();

        guest.send(situation(new VideoOutput(true, 0, 32, 1024, 768, 4096)));
        ByteBuffer px = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        memory.write(VRAM + 10 * 4096 + 20 * 4, px.putInt(0, 0xFF12_3456).array()); // x8r8g8b8
        Framebuffer f = video.screen().orElseThrow();
        assertThat(f.width()).isEqualTo(1024);
        assertThat(f.height()).isEqualTo(768);
        assertThat(f.pixel(20, 10)).isEqualTo(0x12_3456);
        assertThat(f.pixel(21, 10)).isZero();
        // The host's own PNG encoder, read back by the JDK's decoder.
        var png = ImageIO.read(new ByteArrayInputStream(f.png()));
        assertThat(png.getWidth()).isEqualTo(1024);
        assertThat(png.getHeight()).isEqualTo(768);
        assertThat(png.getRGB(20, 10) & 0xFFFFFF).isEqualTo(0x12_3456);
        assertThat(png.getRGB(21, 10) & 0xFFFFFF).isZero();
        assertThat(png.getRGB(1023, 767) & 0xFFFFFF).isZero();
        assertThat(f.background()).isZero();
        assertThat(f.pixelsOtherThan(0, 0, 0, 1024, 768)).isEqualTo(1);
        assertThat(f.pixelsOtherThan(0, 0, 0, 20, 768)).isZero();

        assertThat(video.takeDirt()).containsExactly(new Rect(0, 0, 1024, 768)); // a new mode: all of it
        guest.send(new Dirt(0, List.of(new Rect(0, 8, 2000, 16), new Rect(-5, -5, 0, 3))).toBytes());
        assertThat(video.takeDirt()).containsExactly(new Rect(0, 8, 1024, 16));
        assertThat(video.takeDirt()).isEmpty();

        guest.send(new PointerPosition(true, 0, 100, 200).toBytes());
        guest.send(new PointerShape(PointerShape.COMPLETE, true, 1, 1, 0, 0, new byte[] {0, 1, 1, 1}).toBytes());
        Pointer p = video.state().pointer();
        assertThat(List.of(p.visible(), p.x(), p.y(), p.width(), p.height())).containsExactly(true, 100, 200, 1, 1);
        assertThat(video.state().refused()).isZero();
        assertThat(guest.failures).isEmpty();
    }

    /** WIN7 guests draw in 16 bits (r5g6b5). */
    @Test
    void readsSixteenBitPixels() throws Exception {
        ask(new VersionRequest(SynthvidVersion.WIN7.code()));
        ask(new VramLocation(VRAM, true, VRAM));
        guest.send(situation(new VideoOutput(true, 0, 16, 640, 480, 1280)));
        memory.write(VRAM + 2, new byte[] {(byte) 0x1F, (byte) 0xF8}); // red 31, green 0, blue 31
        assertThat(video.screen().orElseThrow().pixel(1, 0)).isEqualTo(0xFF00FF);
    }

    /** Hostile guests: each bad message is refused alone; the channel and the good state stay. */
    @Test
    void refusesWhatCannotBe() throws Exception {
        guest.send(situation(new VideoOutput(true, 0, 32, 1024, 768, 4096)));
        assertThat(video.state().refused()).as("before any version").isEqualTo(1);
        ask(new VersionRequest(SynthvidVersion.WIN10.code()));

        long outside = memory.size() - (1 << 20);
        assertThat(ask(new VramLocation(outside, true, outside))).isEqualTo(new VramLocationAck(~outside));
        assertThat(ask(new VramLocation(-4096, true, -4096))).isEqualTo(new VramLocationAck(~-4096L));
        assertThat(video.state().vramGpa()).isEqualTo(-1);
        assertThat(video.state().refused()).isEqualTo(3);

        ask(new VramLocation(VRAM, true, VRAM));
        guest.drain();
        guest.send(situation(new VideoOutput(true, 0, 32, 1024, 768, 4096)));
        VideoMode good = video.state().mode();
        for (VideoOutput bad : List.of(
                new VideoOutput(true, 0, 24, 1024, 768, 3072), // a depth the version does not have
                new VideoOutput(true, 0, 32, 100_000, 10, 400_000), // wider than any screen
                new VideoOutput(true, 0, 32, 1024, 768, 1024), // lines shorter than a row
                new VideoOutput(true, 0, 32, 1920, 1080, 7680), // more than the VRAM
                new VideoOutput(true, 4L << 20, 32, 640, 480, 2560), // starts past the VRAM's end
                new VideoOutput(false, 0, 32, 640, 480, 2560))) { // not active
            guest.send(situation(bad));
        }
        guest.send(new byte[] {1, 0, 0, 0, 99, 0, 0, 0}); // cut short
        guest.send(new PointerShape(PointerShape.COMPLETE, true, 96, 96, 0, 0, new byte[4]).toBytes());
        assertThat(video.state().mode()).isEqualTo(good);
        assertThat(video.state().refused()).isEqualTo(3 + 6 + 2);
        assertThat(video.screen()).isPresent();
        assertThat(guest.failures).isEmpty();
    }

    /**
     * Saved after the guest set its VRAM, mode and pointer, restored into a fresh device (a VM restored from its state
     * file): the picture is there at once, the whole screen dirty for a console, the pointer as it was, and the guest's
     * next redraws and messages carry on without a new handshake.
     */
    @Test
    void aSavedDisplayComesBackInAFreshDeviceAndFramesContinue() throws Exception {
        ask(new VersionRequest(SynthvidVersion.WIN10.code()));
        ask(new VramLocation(VRAM, true, VRAM));
        guest.drain();
        guest.send(situation(new VideoOutput(true, 0, 32, 800, 600, 3200)));
        guest.drain();
        guest.send(new PointerPosition(true, 0, 30, 40).toBytes());
        guest.send(new PointerShape(PointerShape.COMPLETE, true, 1, 1, 0, 0, new byte[] {9, 8, 7, 6}).toBytes());
        memory.write(VRAM + 5 * 3200 + 7 * 4, new byte[] {0x56, 0x34, 0x12, 0});
        byte[] saved = video.save();

        SyntheticVideo fresh = new SyntheticVideo(memory, UUID.randomUUID());
        GuestChannel again = guest.restoreInto(fresh, saved);
        assertThat(fresh.state()).usingRecursiveComparison().isEqualTo(video.state());
        assertThat(fresh.screen().orElseThrow().pixel(7, 5)).isEqualTo(0x12_3456);
        assertThat(fresh.takeDirt()).containsExactly(new Rect(0, 0, 800, 600));
        assertThat(fresh.state().pointer().image()).containsExactly(9, 8, 7, 6);

        memory.write(VRAM + 6 * 3200, new byte[] {(byte) 0xFF, 0, 0, 0});
        again.send(new Dirt(0, List.of(new Rect(0, 6, 1, 7))).toBytes());
        assertThat(fresh.takeDirt()).containsExactly(new Rect(0, 6, 1, 7));
        assertThat(fresh.screen().orElseThrow().pixel(0, 6)).isEqualTo(0xFF);
        again.send(situation(new VideoOutput(true, 0, 32, 1024, 768, 4096)));
        assertThat(fresh.state().mode().width()).isEqualTo(1024);
        assertThat(fresh.state().refused()).isZero();

        // A state that names VRAM outside this VM's memory, or is cut short, is refused.
        byte[] cut = java.util.Arrays.copyOf(saved, saved.length - 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> again.restoreInto(new SyntheticVideo(memory, UUID.randomUUID()), cut))
                .isInstanceOf(IllegalArgumentException.class);
        try (GuestMemory small = GuestMemory.allocate(4 << 20)) {
            SyntheticVideo elsewhere = new SyntheticVideo(small, UUID.randomUUID());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GuestChannel(small, elsewhere, 8)
                            .restoreInto(new SyntheticVideo(small, UUID.randomUUID()), saved))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("outside guest memory");
        }
    }

    @Test
    void offersItsVram() {
        assertThat(video.mmioMegabytes()).isEqualTo(4);
        assertThat(video.classId()).isEqualTo(UUID.fromString("da0a7802-e377-4aac-8e77-0558eb1073f8"));
    }

    static byte[] situation(VideoOutput o) {
        return new SituationUpdate(0, List.of(o)).toBytes();
    }

    static {
        ImageIO.setUseCache(false);
    }
}
