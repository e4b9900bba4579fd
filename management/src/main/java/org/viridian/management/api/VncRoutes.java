package org.viridian.management.api;

import io.javalin.http.HandlerType;
import org.viridian.management.vnc.VncService;
import org.viridian.management.vnc.VncSettings;

/** A VM's VNC console settings: {@code GET} (the password never shown) and {@code PUT /vms/{vm}/vnc}. */
final class VncRoutes {
    private final VncService vnc;
    private final Access access;
    private final Requests requests;

    VncRoutes(VncService vnc, Access access, Requests requests) {
        this.vnc = vnc;
        this.access = access;
        this.requests = requests;
    }

    void register(Routes r) {
        String path = ApiServer.BASE + "/vms/{vm}/vnc";
        r.add(
                HandlerType.GET,
                path,
                ctx -> ctx.json(vnc.view(access.vm(ctx).config().id().toString())));
        r.add(HandlerType.PUT, path, ctx -> {
            String id = access.vm(ctx).config().id().toString();
            // A request without "password" keeps the one the VM has (it is never shown, so a client cannot echo it);
            // an empty one removes it.
            VncSettings s = requests.body(ctx, VncSettings.class);
            boolean keep = !requests.body(ctx, com.fasterxml.jackson.databind.JsonNode.class)
                    .has("password");
            ctx.json(vnc.set(id, s, keep));
        });
    }
}
