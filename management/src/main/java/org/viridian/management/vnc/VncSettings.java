package org.viridian.management.vnc;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.viridian.management.ServiceOptions;
import org.viridian.management.config.InvalidConfigException;

/**
 * A VM's VNC console, as libvirt's {@code <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'
 * passwd='…'/>} describes one: off by default; on loopback unless set otherwise; port 0 for the first free one from
 * 5900; a password of at most 8 characters (VNC authentication uses no more). A VM without a password is served on
 * loopback only, and a non-loopback address also needs a service that itself listens beyond loopback (which takes TLS
 * and tokens): VNC's own traffic is unencrypted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VncSettings(boolean enabled, String listen, int port, String password) {
    public static final VncSettings OFF = new VncSettings(false, "127.0.0.1", 0, null);

    /** As a request gives them: what it leaves out is the default (off, loopback, automatic port, no password). */
    @com.fasterxml.jackson.annotation.JsonCreator
    static VncSettings of(
            @com.fasterxml.jackson.annotation.JsonProperty("enabled") Boolean enabled,
            @com.fasterxml.jackson.annotation.JsonProperty("listen") String listen,
            @com.fasterxml.jackson.annotation.JsonProperty("port") Integer port,
            @com.fasterxml.jackson.annotation.JsonProperty("password") String password) {
        return new VncSettings(enabled != null && enabled, listen, port == null ? 0 : port, password);
    }

    public VncSettings {
        if (listen == null || listen.isBlank()) listen = "127.0.0.1";
        if (password != null && password.isEmpty()) password = null;
    }

    /** Checks the settings against what this service allows; {@code remoteService}: the API listens beyond loopback. */
    public VncSettings validated(boolean remoteService) {
        if (!listen.matches("[0-9.]+|[0-9a-fA-F:]+"))
            throw new InvalidConfigException("listen", "the VNC listen address must be an IP address: " + listen);
        if (port != 0 && (port < 1024 || port > 65535))
            throw new InvalidConfigException("port", "the VNC port must be 0 (automatic) or 1024..65535: " + port);
        if (password != null
                && (password.length() > VncAuth.MAX_PASSWORD
                        || !password.chars().allMatch(c -> c >= 0x20 && c < 0x7F)))
            throw new InvalidConfigException(
                    "password", "a VNC password is printable ASCII, at most " + VncAuth.MAX_PASSWORD + " characters");
        if (!ServiceOptions.isLoopback(listen)) {
            if (password == null)
                throw new InvalidConfigException("password", "VNC on a non-loopback address needs a password");
            if (!remoteService)
                throw new InvalidConfigException(
                        "listen", "VNC on a non-loopback address needs a service that listens beyond loopback (TLS)");
        }
        return this;
    }

    /** As the API shows them: never the password, only whether there is one. */
    public java.util.Map<String, Object> view(Integer activePort) {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("enabled", enabled);
        m.put("listen", listen);
        m.put("port", port);
        m.put("passwordSet", password != null);
        m.put("activePort", activePort);
        return m;
    }
}
