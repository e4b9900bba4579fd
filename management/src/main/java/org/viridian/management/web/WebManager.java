package org.viridian.management.web;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;

/**
 * The web manager: plain HTML, CSS and JavaScript from {@code /web} on the classpath (no build step), talking to the
 * REST API, the event stream and the console WebSocket; xterm.js comes from its WebJar under {@code /webjars}.
 */
public final class WebManager {
    public static final String XTERM = "/webjars/xterm/4.9.0";

    private WebManager() {}

    public static void configure(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = "/web";
            files.location = Location.CLASSPATH;
        });
        config.staticFiles.enableWebjars();
    }
}
