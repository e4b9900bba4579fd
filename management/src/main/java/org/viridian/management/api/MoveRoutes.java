package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.nio.file.Path;
import java.util.UUID;
import org.viridian.management.service.IncomingMigrations;
import org.viridian.management.service.MigrationMessages;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;

/**
 * Moving VMs between hosts: /vms/{vm}/export (Export-VM), /vms/import (Import-VM), /vms/{vm}/move (quick migration,
 * Move-VM), all jobs; and /migrations, the destination's side of a move, which another service calls (admin only).
 */
final class MoveRoutes {
    private final VmService vms;
    private final IncomingMigrations incoming;
    private final Access access;
    private final Requests requests;

    record ExportRequest(String path) {}

    record ImportRequest(String path, String copyTo, Boolean newId) {}

    record MoveRequest(String destination, String token, String tlsTrust) {}

    MoveRoutes(VmService vms, Access access, Requests requests) {
        this.vms = vms;
        this.incoming = new IncomingMigrations(vms);
        this.access = access;
        this.requests = requests;
    }

    void register(Routes r) {
        String vm = ApiServer.BASE + "/vms/{vm}", mig = ApiServer.BASE + "/migrations";
        r.add(HandlerType.POST, vm + "/export", ctx -> {
            access.requireAdmin(ctx); // it writes where the service may write
            String id = access.vm(ctx).config().id().toString();
            ExportRequest q = requests.body(ctx, ExportRequest.class);
            VmRoutes.accepted(ctx, vms.export(id, absolute(q.path(), "path")));
        });
        r.add(HandlerType.POST, ApiServer.BASE + "/vms/import", ctx -> {
            access.requireAdmin(ctx);
            ImportRequest q = requests.body(ctx, ImportRequest.class);
            VmRoutes.accepted(
                    ctx,
                    vms.importVm(
                            absolute(q.path(), "path"),
                            q.copyTo() == null ? null : absolute(q.copyTo(), "copyTo"),
                            Boolean.TRUE.equals(q.newId())));
        });
        r.add(HandlerType.POST, vm + "/move", ctx -> {
            access.requireAdmin(ctx);
            String id = access.vm(ctx).config().id().toString();
            MoveRequest q = requests.body(ctx, MoveRequest.class);
            if (q.destination() == null || q.destination().isBlank())
                throw new ServiceException(400, "invalid_argument", "destination (the other service's URL) is missing");
            try {
                VmRoutes.accepted(
                        ctx, vms.move(id, new VmService.MoveTarget(q.destination(), q.token(), q.tlsTrust())));
            } catch (IllegalArgumentException x) {
                throw new ServiceException(400, "invalid_argument", x.getMessage());
            }
        });
        r.add(HandlerType.POST, mig, ctx -> {
            access.requireAdmin(ctx);
            ctx.json(incoming.offer(requests.body(ctx, MigrationMessages.Offer.class)));
        });
        r.add(HandlerType.PUT, mig + "/{move}/files", ctx -> {
            access.requireAdmin(ctx);
            String path = ctx.queryParam("path");
            if (path == null || path.isBlank()) throw new ServiceException(400, "invalid_argument", "path is missing");
            // Streamed: a disk image is far above the API's request size limit, which applies to bodies read whole.
            incoming.receive(move(ctx), path, ctx.bodyInputStream());
            ctx.status(204);
        });
        r.add(HandlerType.POST, mig + "/{move}/commit", ctx -> {
            access.requireAdmin(ctx);
            ctx.json(incoming.commit(
                    move(ctx), requests.body(ctx, org.viridian.management.service.VmPackage.Manifest.class)));
        });
        r.add(HandlerType.GET, mig + "/{move}", ctx -> {
            access.requireAdmin(ctx);
            ctx.json(incoming.status(move(ctx)));
        });
        r.add(HandlerType.DELETE, mig + "/{move}", ctx -> {
            access.requireAdmin(ctx);
            ctx.json(incoming.abort(move(ctx)));
        });
    }

    private static UUID move(Context ctx) {
        try {
            return UUID.fromString(ctx.pathParam("move"));
        } catch (IllegalArgumentException x) {
            throw new ServiceException(400, "invalid_argument", "a move id is a UUID");
        }
    }

    private static Path absolute(String p, String field) {
        if (p == null || p.isBlank()) throw new ServiceException(400, "invalid_argument", field + " is missing");
        Path path = Path.of(p);
        if (!path.isAbsolute())
            throw new ServiceException(400, "invalid_argument", field + " must be an absolute path on the host");
        return path;
    }
}
