package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.function.Function;
import org.viridian.management.service.VmService;

/**
 * /api/v1/vms/{vm}/checkpoints: Hyper-V's standard checkpoints — list (the tree and the present's place in it), take
 * (a job), apply, rename, delete (a job that merges the checkpoint's disk layer).
 */
final class CheckpointRoutes {
    private final VmService vms;
    private final Function<Context, String> vmRef;
    private final Requests requests;

    /** A checkpoint's name, for taking (optional: a dated default) and renaming. */
    record NameRequest(String name) {}

    CheckpointRoutes(VmService vms, Function<Context, String> vmRef, Requests requests) {
        this.vms = vms;
        this.vmRef = vmRef;
        this.requests = requests;
    }

    void register(Routes r, String vm) {
        String all = vm + "/checkpoints", one = all + "/{checkpoint}";
        r.add(HandlerType.GET, all, ctx -> ctx.json(vms.checkpoints(vmRef.apply(ctx))));
        r.add(HandlerType.POST, all, ctx -> {
            String id = vmRef.apply(ctx);
            String name = ctx.body().isBlank()
                    ? null
                    : requests.body(ctx, NameRequest.class).name();
            VmRoutes.accepted(ctx, vms.checkpoint(id, name));
        });
        r.add(
                HandlerType.POST,
                one + "/apply",
                ctx -> VmRoutes.accepted(ctx, vms.applyCheckpoint(vmRef.apply(ctx), ctx.pathParam("checkpoint"))));
        r.add(HandlerType.PATCH, one, ctx -> {
            String id = vmRef.apply(ctx);
            ctx.json(vms.renameCheckpoint(
                    id,
                    ctx.pathParam("checkpoint"),
                    requests.body(ctx, NameRequest.class).name()));
        });
        r.add(
                HandlerType.DELETE,
                one,
                ctx -> VmRoutes.accepted(ctx, vms.deleteCheckpoint(vmRef.apply(ctx), ctx.pathParam("checkpoint"))));
    }
}
