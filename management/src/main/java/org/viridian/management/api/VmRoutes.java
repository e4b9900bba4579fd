package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import org.viridian.management.auth.Principal;
import org.viridian.management.config.VmRequest;
import org.viridian.management.jobs.Job;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.VmService;

/** /api/v1/vms: create, read, update, delete, power operations and disks. */
final class VmRoutes {
    private final VmService vms;
    private final Access access;
    private final Requests requests;

    VmRoutes(VmService vms, Access access, Requests requests) {
        this.vms = vms;
        this.access = access;
        this.requests = requests;
    }

    void register(Routes r) {
        String vm = ApiServer.BASE + "/vms/{vm}";
        r.add(HandlerType.GET, ApiServer.BASE + "/vms", this::list);
        r.add(HandlerType.POST, ApiServer.BASE + "/vms", this::create);
        r.add(HandlerType.GET, vm, ctx -> ctx.json(VmResource.of(access.vm(ctx))));
        r.add(HandlerType.PATCH, vm, this::update);
        r.add(HandlerType.DELETE, vm, this::delete);
        r.add(HandlerType.POST, vm + "/start", ctx -> accepted(ctx, vms.start(ref(ctx))));
        r.add(HandlerType.POST, vm + "/stop", this::stop);
        r.add(HandlerType.POST, vm + "/pause", ctx -> ctx.json(VmResource.of(vms.pause(ref(ctx)))));
        r.add(HandlerType.POST, vm + "/resume", ctx -> ctx.json(VmResource.of(vms.resume(ref(ctx)))));
        r.add(HandlerType.POST, vm + "/reset", ctx -> accepted(ctx, vms.reset(ref(ctx))));
        r.add(HandlerType.POST, vm + "/save", ctx -> accepted(ctx, vms.save(ref(ctx))));
        new CheckpointRoutes(vms, this::ref, requests).register(r, vm);
        r.add(HandlerType.GET, vm + "/flight-recorder", ctx -> ctx.json(vms.flightRecorder(ref(ctx))));
        r.add(
                HandlerType.GET,
                vm + "/disks",
                ctx -> ctx.json(
                        VmResource.DiskResource.of(access.vm(ctx).config().disks())));
        r.add(HandlerType.POST, vm + "/disks", ctx -> {
            String id = ref(ctx);
            ctx.status(HttpStatus.CREATED)
                    .json(VmResource.of(vms.attachDisk(id, requests.body(ctx, VmRequest.DiskRequest.class))));
        });
        r.add(HandlerType.PATCH, vm + "/disks/{slot}", ctx -> {
            String id = ref(ctx);
            int slot = Requests.intPath(ctx, "slot");
            ctx.json(VmResource.of(vms.setDiskLimits(id, slot, requests.body(ctx, VmRequest.DiskLimitsRequest.class))));
        });
        r.add(
                HandlerType.DELETE,
                vm + "/disks/{slot}",
                ctx -> ctx.json(VmResource.of(vms.detachDisk(ref(ctx), Requests.intPath(ctx, "slot")))));
    }

    /** The VM's id after the access check. */
    private String ref(Context ctx) {
        return access.vm(ctx).config().id().toString();
    }

    private void list(Context ctx) {
        Principal p = Access.principal(ctx);
        ctx.json(vms.list().stream()
                .filter(v -> p.mayAccess(v.config()))
                .map(VmResource::of)
                .toList());
    }

    private void create(Context ctx) throws Exception {
        access.requireAdmin(ctx);
        VmResource created = VmResource.of(vms.create(requests.body(ctx, VmRequest.class)));
        ctx.status(HttpStatus.CREATED).header("Location", created.href()).json(created);
    }

    private void update(Context ctx) throws Exception {
        String id = ref(ctx);
        ctx.json(VmResource.of(vms.update(id, requests.body(ctx, VmRequest.class))));
    }

    private void delete(Context ctx) throws Exception {
        vms.delete(ref(ctx));
        ctx.status(HttpStatus.NO_CONTENT);
    }

    private void stop(Context ctx) {
        String mode = ctx.queryParam("mode");
        if (mode != null && !mode.equals("hard") && !mode.equals("graceful")) {
            throw new ServiceException(400, "invalid_argument", "mode must be 'hard' or 'graceful'");
        }
        accepted(ctx, vms.stop(ref(ctx), "graceful".equals(mode)));
    }

    static void accepted(Context ctx, Job job) {
        ctx.status(HttpStatus.ACCEPTED)
                .header("Location", ApiServer.BASE + "/jobs/" + job.id())
                .json(job);
    }
}
