package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.viridian.management.config.BootSource;
import org.viridian.management.config.VmConfig;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.RunningVm;
import org.viridian.management.service.VmExit;
import org.viridian.management.testing.ScriptedEngine;
import org.viridian.management.testing.TestService;
import org.viridian.management.worker.WorkerMessage.Failed;
import org.viridian.management.worker.WorkerMessage.ToService;

/**
 * The protocol over a real worker's socket, from a client that misbehaves: frames out of order, malformed, unknown,
 * oversized, a second service. Each is refused with an error (the connection closed where the framing broke), and the
 * worker and its VM carry on. And the service's side refuses a misbehaving worker's frames the same way.
 */
class WorkerSocketTest {
    private static VmConfig config(String cmdline) {
        Instant now = Instant.now();
        return new VmConfig(
                UUID.randomUUID(),
                "sock",
                1,
                64L << 20,
                new BootSource.DemoGuest("smp.elf", cmdline),
                List.of(),
                List.of(),
                null,
                null,
                now,
                now);
    }

    @Test
    void aWorkerRefusesWhatItShouldAndServesOnAndItsSocketIsTheUsersAlone() throws Exception {
        Path state = TestService.tempDir();
        VmConfig c = config("ticker");
        ConsoleBuffer console = new ConsoleBuffer();
        RunningVm vm =
                WorkerEngine.running(state, ScriptedEngine.class.getName()).launch(c, console);
        RuntimeDir dir = RuntimeDir.of(state, c.id().toString());
        try {
            assertThat(Files.getPosixFilePermissions(dir.path()))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(Files.getPosixFilePermissions(dir.socket()))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));

            // One service at a time.
            try (Raw second = Raw.connect(dir)) {
                second.send(FrameCodec.encode(new WorkerMessage.ServiceHello(WorkerMessage.VERSION)));
                assertThat(second.failure()).isEqualTo("another service is connected to this worker");
                assertThat(second.closed()).isTrue();
            }
            vm.pause();
            vm.close(); // lets go of the worker: the VM runs on
            Thread.sleep(200);

            // A request before hello, then a wrong version: refused, connection closed.
            try (Raw early = Raw.connect(dir)) {
                early.send(FrameCodec.encode(new WorkerMessage.Pause(1)));
                assertThat(early.failure()).isEqualTo("expected service-hello first, got Pause");
                assertThat(early.closed()).isTrue();
            }
            try (Raw future = Raw.connect(dir)) {
                future.send(FrameCodec.encode(new WorkerMessage.ServiceHello(2)));
                assertThat(future.failure()).contains("protocol version 2 not spoken here");
            }

            // After hello: bad frames are refused one by one and the connection serves on.
            try (Raw raw = Raw.connect(dir)) {
                raw.send(FrameCodec.encode(new WorkerMessage.ServiceHello(WorkerMessage.VERSION)));
                WorkerMessage.WorkerHello hello = (WorkerMessage.WorkerHello) raw.next();
                assertThat(hello.state()).isEqualTo(WorkerMessage.RunState.PAUSED);
                assertThat(new String(hello.scrollback(), StandardCharsets.UTF_8))
                        .contains("booting VM sock");
                raw.send(body("{\"type\":\"reboot-host\",\"id\":1}"));
                assertThat(raw.failure()).isEqualTo("unknown message type 'reboot-host'");
                raw.send(body("{\"type\":\"pause\",\"id\":-5}"));
                assertThat(raw.failure()).contains("id must be positive");
                raw.send(body("{\"type\":\"done\",\"id\":1}"));
                assertThat(raw.failure()).contains("does not go in this direction");
                raw.send(FrameCodec.encode(new WorkerMessage.ServiceHello(WorkerMessage.VERSION)));
                assertThat(raw.failure()).contains("service-hello again");
                raw.send(FrameCodec.encode(new WorkerMessage.DetachDisk(9, 3)));
                assertThat(raw.next()).isEqualTo(new WorkerMessage.Done(9)); // the scripted guest "removes" it
                raw.send(FrameCodec.encode(new WorkerMessage.Resume(10)));
                assertThat(raw.nextReply()).isEqualTo(new WorkerMessage.Done(10));
                // A length past the limit: the stream cannot be trusted after it, so the worker hangs up.
                raw.send(ByteBuffer.allocate(4).putInt(FrameCodec.MAX_FRAME + 1).flip());
                assertThat(raw.closed()).isTrue();
            }

            // The worker is fine: a proper service connects, sees it running, and stops it.
            ConsoleBuffer again = new ConsoleBuffer();
            long pid = dir.pid().orElseThrow();
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
            WorkerClient client = WorkerClient.connect(dir, "sock", h, () -> "gone", null, again);
            assertThat(client.startedPaused()).isFalse();
            assertThat(new String(again.snapshot().bytes(), StandardCharsets.UTF_8))
                    .contains("booting VM sock")
                    .contains("scsi: disk removed from LUN 3");
            client.powerOff("done testing");
            VmExit x = client.exit().get(20, TimeUnit.SECONDS);
            assertThat(x.reason()).isEqualTo("done testing");
            h.onExit().get(20, TimeUnit.SECONDS);
            client.close();
            assertThat(dir.exists()).isFalse();
        } finally {
            dir.pid()
                    .ifPresent(
                            p -> ProcessHandle.of(p).filter(dir::isWorker).ifPresent(ProcessHandle::destroyForcibly));
        }
    }

    /**
     * The graphical console through a real worker process: its screen arrives as deflated tiles, split over two replies
     * where one frame cannot carry it, adding up to the guest's picture; then only what changed; keys and the pointer
     * reach the guest's devices.
     */
    @Test
    void theScreenAndInputCrossTheWorkersSocket() throws Exception {
        Path state = TestService.tempDir();
        ConsoleBuffer console = new ConsoleBuffer();
        RunningVm vm =
                WorkerEngine.running(state, ScriptedEngine.class.getName()).launch(config("screen"), console);
        try {
            var w = org.viridian.management.testing.ScriptedScreen.WIDTH;
            var h = org.viridian.management.testing.ScriptedScreen.HEIGHT;
            var picture = new org.viridian.devices.video.Framebuffer(w, h, new int[w * h]);
            int replies = 0;
            org.viridian.devices.video.ScreenTracker.Changes c;
            do {
                c = vm.screenChanges(Long.MAX_VALUE, replies == 0);
                for (var r : c.regions()) picture.paste(r.x(), r.y(), r.pixels());
                replies++;
            } while (!c.complete());
            assertThat(replies).isEqualTo(2); // 640x400 is more than one frame's pixels
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    assertThat(picture.pixel(x, y))
                            .isEqualTo(org.viridian.management.testing.ScriptedScreen.initial(x, y));
            assertThat(vm.screenChanges(Long.MAX_VALUE, false).regions()).isEmpty();

            vm.keys(List.of(org.viridian.devices.input.KeyEvent.press(0x1E)));
            vm.pointer(new org.viridian.devices.input.PointerEvent(16384, 16384, 1, 0));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String out = "";
            while (System.nanoTime() < end && !out.contains("buttons 1")) {
                out = new String(console.snapshot().bytes(), StandardCharsets.UTF_8);
                Thread.sleep(50);
            }
            assertThat(out).contains("key 0x1e down").contains("pointer 16384,16384 buttons 1 wheel 0");
            var changed = vm.screenChanges(Long.MAX_VALUE, false);
            assertThat(changed.regions()).hasSize(2); // the key's block (tile 0,0) and the click's mark (tile 4,3)
        } finally {
            vm.powerOff("done");
            vm.exit().get(20, TimeUnit.SECONDS);
            vm.close();
        }
    }

    @Test
    void theServiceRefusesAMisbehavingWorkersFramesAndCarriesOn() throws Exception {
        Path state = TestService.tempDir();
        RuntimeDir dir = RuntimeDir.of(state, "fake");
        dir.create();
        long me = ProcessHandle.current().pid();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.socket()));
            Thread fake = Thread.ofPlatform().start(() -> {
                try (SocketChannel s = server.accept()) {
                    FrameCodec.readFrame(s); // its hello
                    write(
                            s,
                            FrameCodec.encode(new WorkerMessage.WorkerHello(
                                    WorkerMessage.VERSION,
                                    me,
                                    "fake",
                                    WorkerMessage.RunState.RUNNING,
                                    "old\n".getBytes())));
                    write(s, body("{\"type\":\"console\",\"bytes\":\"!!\"}")); // not base64
                    write(s, body("{\"type\":\"pause\",\"id\":1}")); // a request, from a worker
                    write(s, FrameCodec.encode(new WorkerMessage.Done(777))); // a reply to nothing
                    write(s, FrameCodec.encode(new WorkerMessage.Console("new\n".getBytes())));
                    write(s, FrameCodec.encode(new WorkerMessage.Exited(new VmExit("bye", 0, false, null))));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            ConsoleBuffer console = new ConsoleBuffer();
            WorkerClient c = WorkerClient.connect(dir, "fake", ProcessHandle.current(), () -> "never", null, console);
            assertThat(c.exit().get(10, TimeUnit.SECONDS).reason()).isEqualTo("bye");
            fake.join();
            assertThat(new String(console.snapshot().bytes(), StandardCharsets.UTF_8))
                    .isEqualTo("old\nnew\n");
        }
    }

    @Test
    void aWorkerThatAcceptsButNeverAnswersDoesNotHoldUpTheService() throws Exception {
        RuntimeDir dir = RuntimeDir.of(TestService.tempDir(), "mute");
        dir.create();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.socket()));
            long t0 = System.nanoTime();
            // (the kernel accepts the connection into the backlog; nobody ever reads or answers)
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> WorkerClient.connect(
                            dir, "mute", ProcessHandle.current(), () -> "never", null, new ConsoleBuffer()))
                    .isInstanceOf(IOException.class);
            assertThat(System.nanoTime() - t0)
                    .isBetween(
                            WorkerClient.HELLO_TIMEOUT.toNanos(),
                            WorkerClient.HELLO_TIMEOUT.toNanos() + 5_000_000_000L);
        }
    }

    private static void write(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) s.write(b);
    }

    private static ByteBuffer body(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip();
    }

    /** A client that speaks frames by hand. */
    private record Raw(SocketChannel ch) implements AutoCloseable {
        static Raw connect(RuntimeDir dir) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(dir.socket()));
            return new Raw(ch);
        }

        void send(ByteBuffer b) throws IOException {
            write(ch, b);
        }

        ToService next() throws Exception {
            return FrameCodec.parse(FrameCodec.readFrame(ch), ToService.class);
        }

        /** The next reply, past console and integration events. */
        ToService nextReply() throws Exception {
            while (true) {
                ToService m = next();
                if (m instanceof WorkerMessage.Reply) return m;
            }
        }

        String failure() throws Exception {
            ToService m = nextReply();
            assertThat(m).isInstanceOf(Failed.class);
            assertThat(((Failed) m).failure()).isEqualTo(WorkerMessage.Failure.PROTOCOL);
            return ((Failed) m).message();
        }

        boolean closed() throws IOException {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            while (true) {
                int n = ch.read(b.clear());
                if (n < 0) return true;
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
