package org.viridian.app.vm;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.app.cli.Messages;
import picocli.CommandLine.Option;

/**
 * `vm set … --vnc [--vnc-listen ADDR] [--vnc-port P] [--vnc-password PW]`, `--no-vnc`: the VM's VNC console, as
 * libvirt's per-domain {@code <graphics type='vnc'>} (off by default, loopback, port 0 = the first free from 5900).
 */
final class VncOptions {
    @Option(
            names = "--vnc",
            negatable = true,
            description = "Serve the VM's screen, keyboard and mouse to VNC clients while it runs (off by default).")
    Boolean vnc;

    @Option(
            names = "--vnc-listen",
            paramLabel = "ADDR",
            description =
                    "The IP address VNC listens on (default 127.0.0.1; another needs a password and a TLS service).")
    String listen;

    @Option(
            names = "--vnc-port",
            paramLabel = "PORT",
            description = "The VNC port (default 0: the first free one from 5900).")
    Integer port;

    @Option(
            names = "--vnc-password",
            paramLabel = "PASSWORD",
            description = "The VNC password (at most 8 characters; an empty one removes it).")
    String password;

    boolean given() {
        return vnc != null || listen != null || port != null || password != null;
    }

    /** Changes the given VNC settings of {@code vm}, keeping the others; prints where it listens. */
    void apply(ServiceClient c, String vm, java.io.PrintWriter out) {
        if (!given()) return;
        String path = "/api/v1/vms/" + URLEncoder.encode(vm, StandardCharsets.UTF_8) + "/vnc";
        JsonNode now = c.get(path);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("enabled", vnc != null ? vnc : now.path("enabled").asBoolean());
        r.put("listen", listen != null ? listen : now.path("listen").asText());
        r.put("port", port != null ? port : now.path("port").asInt());
        if (password != null) r.put("password", password); // absent: the service keeps the one it has
        JsonNode s = c.send("PUT", path, r);
        out.println(Messages.label("show.vnc") + describe(s));
    }

    static String describe(JsonNode s) {
        if (!s.path("enabled").asBoolean()) return Messages.get("show.vncOff");
        String port =
                s.path("activePort").isNumber() ? s.path("activePort").asText() : Messages.get("show.vncNotListening");
        return Messages.get(
                s.path("passwordSet").asBoolean() ? "show.vncOnPassword" : "show.vncOn",
                s.path("listen").asText(),
                port);
    }
}
