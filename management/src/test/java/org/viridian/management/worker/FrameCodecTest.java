package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.Disk;
import org.viridian.management.config.NetworkAdapter;
import org.viridian.management.service.GuestIntegration;
import org.viridian.management.service.RecorderEntry;
import org.viridian.management.service.VmExit;
import org.viridian.management.worker.WorkerMessage.ToService;
import org.viridian.management.worker.WorkerMessage.ToWorker;

class FrameCodecTest {
    private static final NetworkAdapter NIC = new NetworkAdapter("eth0", "nat", "00:15:5D:00:00:01");

    @Test
    void everyMessageRoundTripsThroughAFrame() throws Exception {
        List<ToWorker> toWorker = List.of(
                new WorkerMessage.ServiceHello(1),
                new WorkerMessage.Pause(1),
                new WorkerMessage.Resume(2),
                new WorkerMessage.PowerOff(3, "turned off by the host"),
                new WorkerMessage.RequestShutdown(4),
                new WorkerMessage.AttachDisk(6, new Disk(2, "/tmp/d.vhdx", true)),
                new WorkerMessage.DetachDisk(7, 2),
                new WorkerMessage.UpdateDisk(13, new Disk(2, "/tmp/d.vhdx", true, 500, 50L << 20)),
                new WorkerMessage.AddAdapter(8, NIC),
                new WorkerMessage.RemoveAdapter(9, NIC),
                new WorkerMessage.UpdateAdapter(10, NIC, new NetworkAdapter("eth0", null, "00:15:5D:00:00:01")),
                new WorkerMessage.ReadFlightRecorder(11),
                new WorkerMessage.ReadScreenshot(12));
        for (ToWorker m : toWorker) assertThat(roundTrip(m, ToWorker.class)).isEqualTo(m);
        List<ToService> toService = List.of(
                new WorkerMessage.Done(1),
                new WorkerMessage.Answer(2, true),
                new WorkerMessage.Recorder(3, List.of(new RecorderEntry(0, 7, 1.5, "IO", "0x1000", 0, "out 0x3f8"))),
                new WorkerMessage.Failed(4, WorkerMessage.Failure.IO, "disk gone"),
                new WorkerMessage.StateChanged(WorkerMessage.RunState.PAUSED),
                new WorkerMessage.IntegrationChanged(new GuestIntegration(
                        GuestIntegration.Heartbeat.OK,
                        Instant.parse("2026-01-01T00:00:00Z"),
                        GuestIntegration.GuestKvp.NO_ANSWER)),
                new WorkerMessage.Exited(new VmExit("the VM crashed", 125, true, "triple fault")));
        for (ToService m : toService) assertThat(roundTrip(m, ToService.class)).isEqualTo(m);

        // byte arrays compare by content
        var input = roundTrip(new WorkerMessage.SendInput(5, "ls\r".getBytes(StandardCharsets.UTF_8)), ToWorker.class);
        assertThat(((WorkerMessage.SendInput) input).bytes()).asString().isEqualTo("ls\r");
        var hello = (WorkerMessage.WorkerHello) roundTrip(
                new WorkerMessage.WorkerHello(1, 42, "vm", WorkerMessage.RunState.RUNNING, new byte[] {1, 2, 3}),
                ToService.class);
        assertThat(hello.scrollback()).containsExactly(1, 2, 3);
        assertThat(hello.pid()).isEqualTo(42);
        var shot = (WorkerMessage.Screenshot)
                roundTrip(new WorkerMessage.Screenshot(6, new byte[] {(byte) 0x89, 'P', 'N', 'G'}), ToService.class);
        assertThat(shot.png()).containsExactly(0x89, 'P', 'N', 'G');
    }

    @Test
    void framesAreReadOneAtATimeFromAStream() throws Exception {
        ByteBuffer a = FrameCodec.encode(new WorkerMessage.Pause(1)),
                b = FrameCodec.encode(new WorkerMessage.Resume(2));
        byte[] both = new byte[a.remaining() + b.remaining()];
        a.get(both, 0, a.remaining());
        b.get(both, both.length - b.remaining(), b.remaining());
        var in = Channels.newChannel(new java.io.ByteArrayInputStream(both));
        assertThat(FrameCodec.parse(FrameCodec.readFrame(in), ToWorker.class)).isEqualTo(new WorkerMessage.Pause(1));
        assertThat(FrameCodec.parse(FrameCodec.readFrame(in), ToWorker.class)).isEqualTo(new WorkerMessage.Resume(2));
        assertThatThrownBy(() -> FrameCodec.readFrame(in)).isInstanceOf(EOFException.class);
        var cut = Channels.newChannel(new java.io.ByteArrayInputStream(both, 0, 7));
        assertThatThrownBy(() -> FrameCodec.readFrame(cut))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining("mid-frame");
    }

    @Test
    void aLengthOutOfRangeBreaksTheStream() {
        for (int len : new int[] {0, -1, FrameCodec.MAX_FRAME + 1}) {
            ByteBuffer f = ByteBuffer.allocate(8).putInt(len).putInt(0).flip();
            var in = Channels.newChannel(new java.io.ByteArrayInputStream(f.array()));
            assertThatThrownBy(() -> FrameCodec.readFrame(in))
                    .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.recoverable())
                            .isFalse())
                    .hasMessageContaining("out of range");
        }
    }

    @Test
    void aBadFrameIsRefusedAndTheNextOneCanBeRead() {
        assertThat(refusal("{\"type\":\"format-disk\",\"id\":1}", ToWorker.class))
                .isEqualTo("unknown message type 'format-disk'");
        assertThat(refusal("{\"type\":\"pause\",\"id\":0}", ToWorker.class)).contains("id must be positive");
        assertThat(refusal("{\"type\":\"pause\"}", ToWorker.class)).startsWith("malformed message");
        assertThat(refusal("{\"type\":\"pause\",\"id\":1,\"extra\":true}", ToWorker.class))
                .startsWith("malformed message");
        assertThat(refusal("{\"type\":\"pause\",\"id\":1} {}", ToWorker.class)).startsWith("malformed message");
        assertThat(refusal("not json", ToWorker.class)).startsWith("malformed message");
        assertThat(refusal("null", ToWorker.class)).startsWith("malformed message");
        assertThat(refusal("{\"type\":\"power-off\",\"id\":1}", ToWorker.class)).contains("why");
        // Right record, wrong direction: a worker does not take replies, a service does not take requests.
        assertThat(refusal("{\"type\":\"done\",\"id\":1}", ToWorker.class)).contains("does not go in this direction");
        assertThat(refusal("{\"type\":\"pause\",\"id\":1}", ToService.class)).contains("does not go in this direction");
        // base64 of MAX_CONSOLE_CHUNK + 3 bytes
        String big = "A".repeat((WorkerMessage.MAX_CONSOLE_CHUNK / 3 + 1) * 4 + 4);
        assertThat(refusal("{\"type\":\"console\",\"bytes\":\"" + big + "\"}", ToService.class))
                .contains("longer than");
    }

    @Test
    void aFrameWhoseLengthDisagreesWithItsBodyIsRefused() {
        ByteBuffer f = FrameCodec.encode(new WorkerMessage.Pause(1));
        ByteBuffer longer =
                ByteBuffer.allocate(f.remaining() + 1).put(f).put((byte) ' ').flip();
        assertThatThrownBy(() -> FrameCodec.parseFrame(longer, ToWorker.class))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("bytes follow");
    }

    private static String refusal(String json, Class<? extends WorkerMessage> direction) {
        try {
            FrameCodec.parse(json.getBytes(StandardCharsets.UTF_8), direction);
        } catch (ProtocolException e) {
            assertThat(e.recoverable()).isTrue();
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + json);
    }

    private static <T extends WorkerMessage> T roundTrip(T m, Class<? super T> direction) throws Exception {
        @SuppressWarnings("unchecked")
        T back = (T) FrameCodec.parseFrame(FrameCodec.encode(m), (Class<T>) direction);
        return back;
    }
}
