package org.viridian.management.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.sse.SseClient;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.viridian.management.auth.Principal;
import org.viridian.management.events.Event;
import org.viridian.management.events.EventBus;
import org.viridian.management.service.ConsoleBuffer;
import org.viridian.management.service.VmService;
import org.viridian.management.service.VmView;

/**
 * Live data: each VM's serial console (scrollback over HTTP, live both ways over a WebSocket of binary frames) and the
 * host's events (a list to poll, and a server-sent-events stream that resumes after Last-Event-ID).
 */
final class StreamRoutes {
    private static final String SUB = "viridian.console.sub";
    /** Comment lines keep idle event streams open through proxies and Jetty's idle timeout. */
    private static final long PING_SECONDS = 15;

    private final Set<SseClient> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService pinger = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon(true).name("sse-ping").factory());
    private final VmService vms;
    private final EventBus events;
    private final Access access;
    private final ObjectMapper json;

    StreamRoutes(VmService vms, EventBus events, Access access, ObjectMapper json) {
        this.vms = vms;
        this.events = events;
        this.access = access;
        this.json = json;
        pinger.scheduleAtFixedRate(
                () -> streams.forEach(c -> {
                    if (c.terminated()) streams.remove(c);
                    else c.sendComment("ping");
                }),
                PING_SECONDS,
                PING_SECONDS,
                TimeUnit.SECONDS);
    }

    void register(Javalin app, Routes r) {
        String console = ApiServer.BASE + "/vms/{vm}/console";
        r.add(HandlerType.GET, console, this::scrollback);
        app.wsBeforeUpgrade(console + "/ws", ctx -> access.vm(ctx));
        app.ws(console + "/ws", ws -> {
            ws.onConnect(this::attach);
            ws.onMessage(ctx -> vms.sendInput(ctx.pathParam("vm"), ctx.message().getBytes(StandardCharsets.UTF_8)));
            ws.onBinaryMessage(ctx -> vms.sendInput(
                    ctx.pathParam("vm"),
                    java.util.Arrays.copyOfRange(ctx.data(), ctx.offset(), ctx.offset() + ctx.length())));
            ws.onClose(this::detach);
            ws.onError(this::detach);
        });
        r.note("GET", console + "/ws");
        r.add(HandlerType.GET, ApiServer.BASE + "/events", ctx -> {
            Principal p = Access.principal(ctx);
            ctx.json(events.since(Requests.longQuery(ctx, "since", 0)).stream()
                    .filter(e -> visible(p, e))
                    .toList());
        });
        app.sse(ApiServer.BASE + "/events/stream", client -> {
            Principal p = Access.principal(client.ctx());
            client.keepAlive();
            long since = lastEventId(client.ctx());
            Consumer<Event> send = e -> {
                if (!client.terminated() && visible(p, e))
                    client.sendEvent(e.type(), toJson(e), Long.toString(e.seq()));
            };
            AutoCloseable sub;
            synchronized (events) { // no event between the backlog and the subscription is lost
                if (since >= 0) events.since(since).forEach(send);
                sub = events.subscribe(send);
            }
            streams.add(client);
            client.onClose(() -> {
                streams.remove(client);
                close(sub);
            });
        });
        r.note("GET", ApiServer.BASE + "/events/stream");
    }

    /** Stops the keep-alive pings (the server is stopping). */
    void close() {
        pinger.shutdownNow();
    }

    private void scrollback(Context ctx) {
        VmView v = access.vm(ctx);
        ConsoleBuffer.Snapshot s = vms.console(v.config().id().toString()).since(Requests.longQuery(ctx, "since", 0));
        ctx.header("X-Console-Offset", Long.toString(s.end()))
                .contentType("text/plain; charset=utf-8")
                .result(s.bytes());
    }

    private void attach(WsContext ctx) {
        String id = vms.get(ctx.pathParam("vm")).config().id().toString();
        ctx.session.setIdleTimeout(java.time.Duration.ofHours(24));
        Consumer<byte[]> live = bytes -> send(ctx, bytes);
        ctx.attribute(SUB, live);
        byte[] back = vms.console(id).subscribe(live);
        if (back.length > 0) send(ctx, back);
    }

    private static void send(WsContext ctx, byte[] bytes) {
        synchronized (ctx.session) {
            if (ctx.session.isOpen()) ctx.send(ByteBuffer.wrap(bytes));
        }
    }

    private void detach(WsContext ctx) {
        Consumer<byte[]> live = ctx.attribute(SUB);
        if (live == null) return;
        try {
            vms.console(ctx.pathParam("vm")).unsubscribe(live);
        } catch (RuntimeException gone) {
            // the VM was deleted meanwhile
        }
    }

    private boolean visible(Principal p, Event e) {
        if (p.isAdmin()) return true;
        if (e.vmId() == null) return false;
        try {
            return p.mayAccess(vms.get(e.vmId()).config());
        } catch (RuntimeException deleted) {
            return false;
        }
    }

    private static long lastEventId(Context ctx) {
        String id = ctx.header("Last-Event-ID");
        if (id == null) id = ctx.queryParam("since");
        try {
            return id == null ? -1 : Long.parseLong(id);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String toJson(Event e) {
        try {
            return json.writeValueAsString(e);
        } catch (JsonProcessingException x) {
            throw new IllegalStateException(x);
        }
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // unsubscribing cannot fail
        }
    }
}
