package org.viridian.management.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import java.util.List;
import java.util.Map;
import org.apache.zookeeper.KeeperException;
import org.viridian.management.cluster.ClusterService;
import org.viridian.management.cluster.Priority;
import org.viridian.management.service.ServiceException;

/**
 * /api/v1/cluster: the failover cluster this host is a member of (GET on a standalone host says it is none). Making a
 * VM highly available needs access to the VM; draining hosts and moving VMs are cluster-wide, for administrators.
 */
final class ClusterRoutes {
    /** PUT /cluster/vms/{vm}: absent fields keep their value (new: no preferred hosts, medium). */
    record AvailabilityRequest(List<String> preferredHosts, Priority priority) {}

    record MoveRequest(String host) {}

    private final Access access;
    private final Requests requests;
    private volatile ClusterService cluster;

    ClusterRoutes(Access access, Requests requests) {
        this.access = access;
        this.requests = requests;
    }

    void cluster(ClusterService c) {
        this.cluster = c;
    }

    void register(Routes r) {
        String base = ApiServer.BASE + "/cluster";
        r.add(HandlerType.GET, base, ctx -> {
            ClusterService c = cluster;
            ctx.json(c == null ? Map.of("enabled", false) : c.status());
        });
        r.add(HandlerType.PUT, base + "/vms/{vm}", ctx -> {
            access.vm(ctx);
            AvailabilityRequest a = ctx.body().isBlank()
                    ? new AvailabilityRequest(null, null)
                    : requests.body(ctx, AvailabilityRequest.class);
            ctx.json(call(() -> member().makeHighlyAvailable(ctx.pathParam("vm"), a.preferredHosts(), a.priority())));
        });
        r.add(HandlerType.DELETE, base + "/vms/{vm}", ctx -> {
            access.vm(ctx);
            call(() -> {
                member().removeHighAvailability(ctx.pathParam("vm"));
                return null;
            });
            ctx.status(HttpStatus.NO_CONTENT);
        });
        r.add(HandlerType.POST, base + "/vms/{vm}/move", ctx -> {
            access.requireAdmin(ctx);
            MoveRequest m = requests.body(ctx, MoveRequest.class);
            ctx.json(call(() -> member().move(ctx.pathParam("vm"), m.host())));
        });
        r.add(HandlerType.POST, base + "/hosts/{host}/drain", ctx -> drain(ctx, true));
        r.add(HandlerType.POST, base + "/hosts/{host}/resume", ctx -> drain(ctx, false));
    }

    private void drain(Context ctx, boolean on) throws Exception {
        access.requireAdmin(ctx);
        call(() -> {
            member().drain(ctx.pathParam("host"), on);
            return null;
        });
        ctx.json(member().status());
    }

    private ClusterService member() {
        ClusterService c = cluster;
        if (c == null)
            throw ServiceException.conflict(
                    "not_clustered", "this host is not a cluster member (serve --cluster ZK1:PORT,… --host-name NAME)");
        return c;
    }

    private interface ClusterCall<T> {
        T run() throws Exception;
    }

    /** The engine's failures (connection lost mid-request) are 503s, with what ZooKeeper said. */
    private static <T> T call(ClusterCall<T> f) throws Exception {
        try {
            return f.run();
        } catch (KeeperException e) {
            throw new ServiceException(503, "cluster_unavailable", "the cluster's engine: " + e.getMessage());
        }
    }
}
