package org.viridian.management.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.devices.video.Framebuffer;
import org.viridian.management.testing.ApiClient;
import org.viridian.management.testing.Png;
import org.viridian.management.testing.ScriptedScreen;
import org.viridian.management.testing.TestService;

/**
 * The graphical console's WebSocket against a scripted guest that draws into a real framebuffer: the regions streamed
 * add up to the guest's picture, only changes follow, and keys and clicks reach the guest's devices (its console says
 * what arrived); input the devices cannot carry is refused and never arrives.
 */
class ScreenApiTest {
    private static TestService service;
    private static ApiClient api;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        api = service.api;
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    /** A client that pastes every region it is sent into its own picture, as the web manager's canvas does. */
    static final class Viewer implements WebSocket.Listener {
        final LinkedBlockingQueue<int[]> regions = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        volatile Framebuffer picture;
        private ByteBuffer partial = ByteBuffer.allocate(0);

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            ByteBuffer all = ByteBuffer.allocate(partial.remaining() + data.remaining());
            all.put(partial).put(data).flip();
            partial = all;
            if (last) {
                paste(partial);
                partial = ByteBuffer.allocate(0);
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            texts.add(data.toString());
            w.request(1);
            return null;
        }

        private void paste(ByteBuffer b) {
            int sw = b.getShort() & 0xFFFF, sh = b.getShort() & 0xFFFF;
            int x = b.getShort() & 0xFFFF,
                    y = b.getShort() & 0xFFFF,
                    w = b.getShort() & 0xFFFF,
                    h = b.getShort() & 0xFFFF;
            byte[] png = new byte[b.remaining()];
            b.get(png);
            Framebuffer part = Png.read(png);
            assertThat(part.width()).isEqualTo(w);
            assertThat(part.height()).isEqualTo(h);
            if (picture == null || picture.width() != sw || picture.height() != sh)
                picture = new Framebuffer(sw, sh, new int[sw * sh]);
            picture.paste(x, y, part);
            regions.add(new int[] {x, y, w, h});
        }
    }

    @Test
    void theScreenStreamsAsRegionsAndInputReachesTheGuest() throws Exception {
        String id = api.post(
                        "/api/v1/vms",
                        "{\"name\":\"screen1\",\"boot\":{\"type\":\"demo\",\"guest\":\"smp.elf\",\"cmdline\":\"screen\"}}")
                .json()
                .get("id")
                .asText();
        api.awaitJob(api.post("/api/v1/vms/" + id + "/start", null));
        api.awaitConsole(id, "login: ");
        Viewer viewer = new Viewer();
        WebSocket ws = HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .buildAsync(URI.create(api.base().replace("http:", "ws:") + "/api/v1/vms/screen1/screen/ws"), viewer)
                .get(10, TimeUnit.SECONDS);
        awaitPicture(viewer, id);
        for (int y = 0; y < ScriptedScreen.HEIGHT; y += 7)
            for (int x = 0; x < ScriptedScreen.WIDTH; x += 5)
                assertThat(viewer.picture.pixel(x, y)).isEqualTo(ScriptedScreen.initial(x, y));
        viewer.regions.clear();

        // A key: the guest's keyboard gets its scancode, and the block it draws is the only region sent.
        ws.sendText("{\"type\":\"key\",\"code\":\"KeyA\",\"down\":true}", true).get(5, TimeUnit.SECONDS);
        ws.sendText("{\"type\":\"key\",\"code\":\"KeyA\",\"down\":false}", true).get(5, TimeUnit.SECONDS);
        ws.sendText("{\"type\":\"key\",\"code\":\"ArrowUp\",\"down\":true}", true)
                .get(5, TimeUnit.SECONDS);
        api.awaitConsole(id, "key 0x1e down\r\nkey 0x1e up\r\nkey 0x48 e0 down");
        int[] region = viewer.regions.poll(10, TimeUnit.SECONDS);
        assertThat(region).isNotNull();
        assertThat(region[2] * region[3]).isLessThanOrEqualTo(ScriptedScreen.WIDTH * 64);
        awaitPicture(viewer, id);

        // A click in the middle of the screen: the mouse's absolute position is the middle of its range.
        ws.sendText("{\"type\":\"pointer\",\"x\":320,\"y\":200,\"buttons\":1,\"wheel\":0}", true)
                .get(5, TimeUnit.SECONDS);
        api.awaitConsole(id, "pointer 16409,16424 buttons 1 wheel 0");
        ws.sendText("{\"type\":\"ctrl-alt-del\"}", true).get(5, TimeUnit.SECONDS);
        api.awaitConsole(id, "key 0x1d down\r\nkey 0x38 down\r\nkey 0x53 e0 down");
        awaitPicture(viewer, id);
        assertThat(viewer.picture.pixel(321, 201)).isEqualTo(0xFF0000);

        // Nothing the devices cannot carry gets through: each is refused, and the console shows none of them.
        String before = api.get("/api/v1/vms/" + id + "/console").body();
        for (String bad : new String[] {
            "{\"type\":\"key\",\"code\":\"Launch2\",\"down\":true}",
            "{\"type\":\"key\",\"down\":true}",
            "{\"type\":\"pointer\",\"x\":640,\"y\":0,\"buttons\":0,\"wheel\":0}",
            "{\"type\":\"pointer\",\"x\":-1,\"y\":0,\"buttons\":0,\"wheel\":0}",
            "{\"type\":\"pointer\",\"x\":1,\"y\":0,\"buttons\":8,\"wheel\":0}",
            "{\"type\":\"pointer\",\"x\":1,\"y\":0,\"buttons\":0,\"wheel\":300}",
            "{\"type\":\"scancode\",\"code\":1}",
            "not json",
        }) {
            ws.sendText(bad, true).get(5, TimeUnit.SECONDS);
            assertThat(viewer.texts.poll(10, TimeUnit.SECONDS)).as(bad).isEqualTo("{\"type\":\"refused\"}");
        }
        assertThat(api.get("/api/v1/vms/" + id + "/console").body()).isEqualTo(before);

        var thumb = api.getBytes("/api/v1/vms/" + id + "/thumbnail?width=160");
        Framebuffer t = Png.read(thumb);
        assertThat(t.width()).isEqualTo(160);
        assertThat(t.height()).isEqualTo(100);
        assertThat(t.pixel(0, 0)).isEqualTo(ScriptedScreen.initial(0, 0));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        api.awaitJob(api.post("/api/v1/vms/" + id + "/stop", null));
    }

    /** Waits until the viewer's picture equals the host's copy of the screen (the screenshot endpoint's). */
    private static void awaitPicture(Viewer viewer, String id) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Framebuffer host = null;
        while (System.nanoTime() < end) {
            host = Png.read(api.getBytes("/api/v1/vms/" + id + "/screenshot"));
            Framebuffer p = viewer.picture;
            if (p != null && java.util.Arrays.equals(p.pixels(), host.pixels())) return;
            Thread.sleep(100);
        }
        throw new AssertionError("the streamed picture never equalled the host's copy");
    }
}
