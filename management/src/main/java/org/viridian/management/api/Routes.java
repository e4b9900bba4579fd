package org.viridian.management.api;

import io.javalin.Javalin;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.List;

/** Registers API routes and remembers them, so tests can check the OpenAPI document against what is served. */
final class Routes {
    record Route(String method, String path) {}

    private final Javalin app;
    private final List<Route> routes = new ArrayList<>();

    Routes(Javalin app) {
        this.app = app;
    }

    void add(HandlerType method, String path, Handler h) {
        app.addHttpHandler(method, path, h);
        routes.add(new Route(method.name(), path));
    }

    /** Routes that are not plain HTTP handlers (WebSocket, SSE), listed under the method clients use to open them. */
    void note(String method, String path) {
        routes.add(new Route(method, path));
    }

    List<Route> all() {
        return List.copyOf(routes);
    }
}
