package org.viridian.management.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.HandlerType;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.input.KeyNames;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.ScreenTracker;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;

/**
 * The graphical console: a VM's screen live over a WebSocket ({@code /vms/{vm}/screen/ws}), its keyboard and mouse
 * back over the same socket, and a thumbnail of the screen ({@code /vms/{vm}/thumbnail}) for the VM list.
 *
 * <p>Service to browser: binary messages, each a changed region of the screen (the whole screen first, then only the
 * tiles that changed, at most {@value #FRAMES_PER_SECOND} times a second): a header of six big-endian u16 (screen
 * width, screen height, x, y, width, height) and the region as a PNG; a text message {@code {"type":"no-display"}}
 * while there is no picture. Browser to service: text messages {@link ScreenInput}; a key the synthetic keyboard has
 * no scancode for, a pointer outside the screen or with buttons or wheel steps the mouse's report cannot carry is
 * refused (counted, never passed on).
 */
final class ScreenRoutes {
    private static final System.Logger LOG = System.getLogger(ScreenRoutes.class.getName());
    static final int FRAMES_PER_SECOND = 10;
    static final int HEADER = 12;
    /** Thumbnails: as wide as asked, within these bounds. */
    static final int THUMBNAIL_DEFAULT = 160, THUMBNAIL_MAX = 640;

    private static final String LOOP = "viridian.screen.loop";

    /** What the browser sends: one key going down or up, the pointer's state, or Ctrl+Alt+Del. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = ScreenInput.Key.class, name = "key"),
        @JsonSubTypes.Type(value = ScreenInput.Pointer.class, name = "pointer"),
        @JsonSubTypes.Type(value = ScreenInput.CtrlAltDel.class, name = "ctrl-alt-del"),
    })
    sealed interface ScreenInput {
        /** {@code code}: the browser's KeyboardEvent.code (the key's place, whatever the layout). */
        record Key(String code, boolean down) implements ScreenInput {}

        /** A position in the screen's pixels, buttons (bit 0 left, 1 right, 2 middle), wheel steps (up negative). */
        record Pointer(int x, int y, int buttons, int wheel) implements ScreenInput {}

        record CtrlAltDel() implements ScreenInput {}
    }

    private final VmService vms;
    private final Access access;
    private final ObjectMapper json;

    ScreenRoutes(VmService vms, Access access, ObjectMapper json) {
        this.vms = vms;
        this.access = access;
        this.json = json.copy().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    void register(Javalin app, Routes r) {
        String screen = ApiServer.BASE + "/vms/{vm}/screen/ws";
        app.wsBeforeUpgrade(screen, ctx -> access.vm(ctx));
        app.ws(screen, ws -> {
            ws.onConnect(this::stream);
            ws.onMessage(ctx -> input(ctx, ctx.message()));
            ws.onClose(ScreenRoutes::stop);
            ws.onError(ScreenRoutes::stop);
        });
        r.note("GET", screen);
        r.add(HandlerType.GET, ApiServer.BASE + "/vms/{vm}/thumbnail", ctx -> {
            long width = Requests.longQuery(ctx, "width", THUMBNAIL_DEFAULT);
            if (width < 16 || width > THUMBNAIL_MAX)
                throw new ServiceException(400, "invalid_argument", "width must be 16.." + THUMBNAIL_MAX);
            ctx.contentType("image/png")
                    .header("Cache-Control", "no-store")
                    .result(vms.thumbnail(access.vm(ctx).config().id().toString(), (int) width));
        });
    }

    /** Streams the screen to this socket from a thread of its own until it closes. */
    private void stream(WsContext ctx) {
        ctx.session.setIdleTimeout(java.time.Duration.ofHours(24));
        String vm = ctx.pathParam("vm");
        Thread loop = Thread.ofVirtual().name("screen-" + vm).start(() -> {
            ScreenTracker tracker = new ScreenTracker();
            boolean said = false;
            try {
                while (ctx.session.isOpen()) {
                    ScreenTracker.Changes c;
                    try {
                        c = vms.screen(vm).read(f -> f == null ? null : tracker.changes(f, Long.MAX_VALUE));
                    } catch (ServiceException notRunning) {
                        c = null;
                    }
                    if (c == null) {
                        // Off, or no display yet: say so once, look again later, and start over with the next picture.
                        if (!said) send(ctx, "{\"type\":\"no-display\"}");
                        said = true;
                        tracker.forget();
                        Thread.sleep(1000);
                        continue;
                    }
                    said = false;
                    for (ScreenTracker.Region region : c.regions()) send(ctx, frame(c, region));
                    Thread.sleep(1000 / FRAMES_PER_SECOND);
                }
            } catch (InterruptedException e) {
                // the socket closed
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "screen of VM '" + vm + "': " + e.getMessage());
                ctx.closeSession();
            }
        });
        ctx.attribute(LOOP, loop);
    }

    /** One region as the browser takes it: the header, then the PNG. */
    static ByteBuffer frame(ScreenTracker.Changes c, ScreenTracker.Region r) {
        byte[] png = r.pixels().png();
        ByteBuffer b = ByteBuffer.allocate(HEADER + png.length);
        b.putShort((short) c.width()).putShort((short) c.height());
        b.putShort((short) r.x()).putShort((short) r.y());
        b.putShort((short) r.pixels().width()).putShort((short) r.pixels().height());
        return b.put(png).flip();
    }

    private static void send(WsContext ctx, Object message) {
        synchronized (ctx.session) {
            if (!ctx.session.isOpen()) return;
            if (message instanceof ByteBuffer b) ctx.send(b);
            else ctx.send((String) message);
        }
    }

    private static void stop(WsContext ctx) {
        Thread loop = ctx.attribute(LOOP);
        if (loop != null) loop.interrupt();
    }

    /** One message from the browser: parsed, checked against what the devices carry, then passed on; else refused. */
    private void input(WsContext ctx, String message) {
        String vm = ctx.pathParam("vm");
        try {
            ScreenInput in = json.readValue(message, ScreenInput.class);
            switch (in) {
                case ScreenInput.Key k -> vms.keys(vm, List.of(key(k)));
                case ScreenInput.CtrlAltDel c -> vms.keys(vm, KeyNames.ctrlAltDel());
                case ScreenInput.Pointer p -> vms.pointer(vm, pointer(vm, p));
            }
        } catch (JsonProcessingException | IllegalArgumentException | ServiceException e) {
            LOG.log(System.Logger.Level.DEBUG, "screen of VM '" + vm + "': refused input: " + e.getMessage());
            send(ctx, "{\"type\":\"refused\"}");
        }
    }

    static KeyEvent key(ScreenInput.Key k) {
        Optional<KeyEvent> e = KeyNames.browserCode(k.code(), !k.down());
        return e.orElseThrow(() -> new IllegalArgumentException("no key " + k.code()));
    }

    private PointerEvent pointer(String vm, ScreenInput.Pointer p) {
        int[] size = vms.screen(vm).read(f -> f == null ? null : new int[] {f.width(), f.height()});
        if (size == null) throw new IllegalArgumentException("no screen to point at");
        PointerEvent at = PointerEvent.at(p.x(), p.y(), size[0], size[1], p.buttons());
        return new PointerEvent(at.x(), at.y(), at.buttons(), p.wheel());
    }
}
