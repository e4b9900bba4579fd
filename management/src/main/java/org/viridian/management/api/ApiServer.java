package org.viridian.management.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.viridian.management.auth.TokenStore;
import org.viridian.management.config.CpuList;
import org.viridian.management.config.InvalidConfigException;
import org.viridian.management.config.VmConfigs;
import org.viridian.management.events.EventBus;
import org.viridian.management.jobs.JobManager;
import org.viridian.management.service.ServiceException;
import org.viridian.management.service.SwitchService;
import org.viridian.management.service.VmService;
import org.viridian.management.state.IllegalTransitionException;
import org.viridian.management.web.WebManager;

/** The HTTP server: REST API under {@value #BASE}, its OpenAPI document, the streams, and the web manager at /. */
public final class ApiServer implements AutoCloseable {
    public static final String BASE = "/api/v1";
    public static final String VERSION = "0.1.0";
    private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());
    private final Javalin app;
    private final Routes routes;
    private final boolean tls;
    private final StreamRoutes streams;
    private final ClusterRoutes clusterRoutes;

    /** The failover cluster the API's /cluster resources speak for (set once the member has joined). */
    public void cluster(org.viridian.management.cluster.ClusterService c) {
        clusterRoutes.cluster(c);
    }

    /** TLS: a PKCS#12 key store with the server's key and certificate. */
    public record Tls(Path keyStore, String password) {}

    public ApiServer(
            VmService vms,
            SwitchService switches,
            JobManager jobs,
            EventBus events,
            TokenStore tokens,
            boolean requireAuth,
            Tls tls,
            String host,
            int port,
            Path stateDir,
            ObjectMapper json,
            org.viridian.management.vnc.VncService vnc) {
        this.tls = tls != null;
        ApiRequests apiRequests = new ApiRequests();
        app = Javalin.create(config -> {
            // Every answered API request is counted for /metrics (the web manager's files are not).
            config.requestLogger.http((ctx, ms) -> {
                if (ctx.path().startsWith(BASE) || ctx.path().equals(MetricsRoutes.PATH))
                    apiRequests.count(ctx.method().name(), ctx.statusCode());
            });
            config.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(json, false));
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = 1 << 20;
            WebManager.configure(config);
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JsonErrorHandler()));
            if (tls != null) {
                config.jetty.addConnector((server, http) -> {
                    SslContextFactory.Server ssl = new SslContextFactory.Server();
                    ssl.setKeyStorePath(tls.keyStore().toString());
                    ssl.setKeyStorePassword(tls.password());
                    ssl.setKeyStoreType("PKCS12");
                    HttpConfiguration https = new HttpConfiguration(http);
                    https.addCustomizer(new SecureRequestCustomizer(false));
                    ServerConnector c =
                            new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), http1(https));
                    c.setHost(host);
                    c.setPort(port);
                    return c;
                });
            } else {
                config.jetty.addConnector((server, http) -> {
                    ServerConnector c = new ServerConnector(server, http1(http));
                    c.setHost(host);
                    c.setPort(port);
                    return c;
                });
            }
        });
        Access access = new Access(tokens, requireAuth, vms);
        Requests requests = new Requests(json);
        routes = new Routes(app);
        app.before(BASE + "/*", access::authenticate);
        app.wsBeforeUpgrade(BASE + "/*", access::authenticate);
        app.before(BASE + "/*", ctx -> ctx.header("Cache-Control", "no-store"));
        app.before(MetricsRoutes.PATH, access::authenticate);
        errors(app);

        routes.add(
                HandlerType.GET,
                BASE,
                ctx -> ctx.json(Map.of(
                        "name",
                        "viridian",
                        "version",
                        VERSION,
                        "openapi",
                        BASE + "/openapi.json",
                        "vms",
                        BASE + "/vms",
                        "switches",
                        BASE + "/switches",
                        "jobs",
                        BASE + "/jobs",
                        "events",
                        BASE + "/events",
                        "cluster",
                        BASE + "/cluster")));
        routes.add(HandlerType.GET, BASE + "/openapi.json", ctx -> ctx.contentType("application/json")
                .result(openApi()));
        routes.add(HandlerType.GET, BASE + "/host", ctx -> {
            Map<String, Object> info = new LinkedHashMap<>();
            String why = vms.engine().unavailableReason().orElse(null);
            info.put("version", VERSION);
            info.put("canRunVms", why == null);
            info.put("unavailableReason", why);
            info.put("authRequired", requireAuth);
            info.put("tls", this.tls);
            info.put("vmCount", vms.list().size());
            info.put("canMakeSwitches", switches.unavailable().isEmpty());
            info.put("switchesUnavailableReason", switches.unavailable().orElse(null));
            List<String> unreadable = new java.util.ArrayList<>(vms.loadProblems());
            unreadable.addAll(switches.loadProblems());
            info.put("unreadableDefinitions", unreadable);
            info.put("demoGuests", VmConfigs.DEMO_GUESTS);
            info.put(
                    "limits",
                    Map.of(
                            "maxCpus",
                            VmConfigs.MAX_CPUS,
                            "minMemoryBytes",
                            VmConfigs.MIN_MEMORY,
                            "maxMemoryBytes",
                            VmConfigs.MAX_MEMORY,
                            "maxDisks",
                            VmConfigs.MAX_DISKS,
                            "maxNetworkAdapters",
                            VmConfigs.MAX_ADAPTERS));
            info.put("resources", hostResources(vms));
            if (Access.principal(ctx).isAdmin()) info.put("stateDir", stateDir.toString());
            ctx.json(info);
        });
        routes.add(HandlerType.GET, BASE + "/jobs", ctx -> {
            var p = Access.principal(ctx);
            ctx.json(jobs.list().stream()
                    .filter(j -> p.isAdmin() || visible(access, p, j.vmId()))
                    .toList());
        });
        routes.add(HandlerType.GET, BASE + "/jobs/{job}", ctx -> {
            var job = jobs.get(ctx.pathParam("job"))
                    .orElseThrow(() -> ServiceException.notFound("no job " + clip(ctx.pathParam("job"))));
            var p = Access.principal(ctx);
            if (!p.isAdmin() && !visible(access, p, job.vmId()))
                throw new ServiceException(403, "forbidden", "not your job");
            ctx.json(job);
        });
        new VmRoutes(vms, access, requests).register(routes);
        new MoveRoutes(vms, access, requests).register(routes);
        new SwitchRoutes(switches, access, requests).register(routes);
        clusterRoutes = new ClusterRoutes(access, requests);
        clusterRoutes.register(routes);
        new MetricsRoutes(vms, access, apiRequests).register(routes);
        streams = new StreamRoutes(vms, events, access, json);
        streams.register(app, routes);
        new ScreenRoutes(vms, access, json).register(app, routes);
        new VncRoutes(vnc, access, requests).register(routes);
    }

    private static boolean visible(Access access, org.viridian.management.auth.Principal p, String vmId) {
        try {
            access.vm(p, vmId);
            return true;
        } catch (ServiceException e) {
            return false;
        }
    }

    private static void errors(Javalin app) {
        app.exception(ServiceException.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage(), null));
        app.exception(
                InvalidConfigException.class,
                (e, ctx) -> error(ctx, 400, "invalid_argument", e.getMessage(), e.field()));
        app.exception(
                IllegalTransitionException.class, (e, ctx) -> error(ctx, 409, "invalid_state", e.getMessage(), null));
        app.exception(
                HttpResponseException.class,
                (e, ctx) -> error(ctx, e.getStatus(), code(e.getStatus()), e.getMessage(), null));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.log(System.Logger.Level.WARNING, "request " + ctx.method() + " " + ctx.path() + " failed", e);
            error(ctx, 500, "internal", "internal error: " + e, null);
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty() || !ctx.result().startsWith("{")) {
                error(ctx, 404, "not_found", "no such resource: " + ctx.method() + " " + clip(ctx.path()), null);
            }
        });
        app.error(
                405,
                ctx -> error(
                        ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + clip(ctx.path()), null));
    }

    private static String code(int status) {
        return switch (status) {
            case 400 -> "invalid_argument";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 409 -> "conflict";
            case 413 -> "too_large";
            default -> status >= 500 ? "internal" : "error";
        };
    }

    private static void error(Context ctx, int status, String code, String message, String field) {
        ctx.status(status).json(ApiError.of(status, code, message, field));
    }

    /** The host's processors and memory as admission control counts them, and how resource controls apply. */
    private static Map<String, Object> hostResources(VmService vms) {
        VmService.HostView h = vms.host();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("logicalProcessors", h.host().logicalProcessors());
        r.put("onlineCpus", CpuList.format(h.host().onlineCpus()));
        r.put("memTotalBytes", h.host().memTotal());
        r.put("memAvailableBytes", h.host().memAvailable());
        r.put("rootReserveBytes", h.rootReserve());
        r.put("givenToVmsBytes", h.givenToVms());
        r.put("activeVms", h.activeVms());
        r.put("memoryOvercommit", h.memoryOvercommit());
        r.put("cgroups", h.cgroups());
        r.put("cgroupsUnavailableReason", h.cgroupsUnavailableReason());
        return r;
    }

    private static String clip(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }

    private static byte[] openApi() throws IOException {
        try (InputStream in = ApiServer.class.getResourceAsStream("/api/openapi.json")) {
            if (in == null) throw new IOException("openapi.json missing from the build");
            return in.readAllBytes();
        }
    }

    public ApiServer start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    public boolean tls() {
        return tls;
    }

    /** Every HTTP route, as "METHOD path" (WebSocket and SSE under GET). */
    public List<String> routes() {
        return routes.all().stream().map(r -> r.method() + " " + r.path()).toList();
    }

    @Override
    public void close() {
        streams.close();
        app.stop();
    }

    /**
     * HTTP/1.1 reading a request body in 256 KiB fills rather than Jetty's 8 KiB: a quick migration's state file and
     * disk images arrive as request bodies, and each fill is a wake-up of the reading thread (83 MiB took 8-26 s in
     * the nested TCG host).
     */
    private static HttpConnectionFactory http1(HttpConfiguration config) {
        HttpConnectionFactory f = new HttpConnectionFactory(config);
        f.setInputBufferSize(256 << 10);
        return f;
    }
}
