package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import org.viridian.management.config.SwitchRequest;
import org.viridian.management.service.SwitchService;

/**
 * /api/v1/switches: the host's virtual switches. Every caller may read them (ports of the VMs it may see); creating,
 * changing and deleting them are host-wide operations, for administrators.
 */
final class SwitchRoutes {
    private final SwitchService switches;
    private final Access access;
    private final Requests requests;

    SwitchRoutes(SwitchService switches, Access access, Requests requests) {
        this.switches = switches;
        this.access = access;
        this.requests = requests;
    }

    void register(Routes r) {
        String one = ApiServer.BASE + "/switches/{switch}";
        r.add(
                HandlerType.GET,
                ApiServer.BASE + "/switches",
                ctx -> ctx.json(switches.list().stream()
                        .map(v -> SwitchResource.of(v, switches, Access.principal(ctx)))
                        .toList()));
        r.add(HandlerType.POST, ApiServer.BASE + "/switches", this::create);
        r.add(HandlerType.GET, one, ctx -> ctx.json(resource(ctx, switches.get(ctx.pathParam("switch")))));
        r.add(HandlerType.PATCH, one, ctx -> {
            access.requireAdmin(ctx);
            ctx.json(resource(ctx, switches.update(ctx.pathParam("switch"), requests.body(ctx, SwitchRequest.class))));
        });
        r.add(HandlerType.DELETE, one, ctx -> {
            access.requireAdmin(ctx);
            switches.delete(ctx.pathParam("switch"));
            ctx.status(HttpStatus.NO_CONTENT);
        });
    }

    private void create(Context ctx) throws Exception {
        access.requireAdmin(ctx);
        SwitchResource created = resource(ctx, switches.create(requests.body(ctx, SwitchRequest.class)));
        ctx.status(HttpStatus.CREATED).header("Location", created.href()).json(created);
    }

    private SwitchResource resource(Context ctx, SwitchService.SwitchView v) {
        return SwitchResource.of(v, switches, Access.principal(ctx));
    }
}
