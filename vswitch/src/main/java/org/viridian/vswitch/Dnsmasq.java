package org.viridian.vswitch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * DHCP and DNS for a NAT switch's guests: one dnsmasq per switch, bound to its bridge only. dnsmasq runs as a daemon
 * (its pid in the switch's runtime directory), so it outlives the service like the bridge does, and a restarted
 * service finds it, or its pid file, again.
 */
final class Dnsmasq {
    private Dnsmasq() {}

    static void start(Path dir, String bridge, Ipv4Network host) throws NetworkConfigException {
        stop(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new NetworkConfigException("cannot create " + dir + ": " + e.getMessage());
        }
        String gateway = host.addressText();
        // An empty configuration of its own keeps dnsmasq off the host's /etc/dnsmasq.conf (and needs no /dev/null).
        Path conf = dir.resolve("dnsmasq.conf");
        try {
            Files.writeString(conf, "");
        } catch (IOException e) {
            throw new NetworkConfigException("cannot write " + conf + ": " + e.getMessage());
        }
        HostTool.run(
                "dnsmasq",
                "--conf-file=" + conf,
                "--pid-file=" + dir.resolve("dnsmasq.pid"),
                "--dhcp-leasefile=" + dir.resolve("leases"),
                "--interface=" + bridge,
                "--bind-interfaces",
                "--except-interface=lo",
                "--listen-address=" + gateway,
                "--dhcp-range=" + host.host(100) + "," + host.host(199) + ",12h",
                "--dhcp-option=option:router," + gateway,
                "--dhcp-option=option:dns-server," + gateway,
                "--dhcp-authoritative",
                "--log-facility=" + dir.resolve("dnsmasq.log"));
    }

    /** Ends the switch's dnsmasq if one runs (also one a previous service started). */
    static void stop(Path dir) {
        pid(dir).flatMap(ProcessHandle::of).filter(Dnsmasq::isDnsmasq).ifPresent(h -> {
            h.destroy();
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        });
        try {
            Files.deleteIfExists(dir.resolve("dnsmasq.pid"));
        } catch (IOException ignored) {
            // A stale pid file is checked against the process's command before use.
        }
    }

    static boolean running(Path dir) {
        return pid(dir).flatMap(ProcessHandle::of).filter(Dnsmasq::isDnsmasq).isPresent();
    }

    /** The leases dnsmasq handed out: one line per lease ("expiry mac ip hostname client-id"). */
    static String leases(Path dir) {
        try {
            return Files.readString(dir.resolve("leases"));
        } catch (IOException e) {
            return "";
        }
    }

    private static Optional<Long> pid(Path dir) {
        try {
            return Optional.of(
                    Long.parseLong(Files.readString(dir.resolve("dnsmasq.pid")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** A recycled pid must not make us kill an unrelated process. */
    private static boolean isDnsmasq(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/dnsmasq")).orElse(false);
    }
}
