package org.viridian.management;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import org.viridian.management.api.ApiServer;

/**
 * How to run the host service: its state directory, where it listens, TLS and whether tokens are required.
 * A non-loopback address requires TLS, and then tokens are always required. {@code memoryOvercommit}: start VMs whose
 * memory the host cannot give (off: refused, as Hyper-V does). {@code confineWorkers}: each VM's worker process jails
 * itself and installs its seccomp filter once its VM is built (off by default this round: a confined worker cannot open
 * disks or create adapters after its start, so hot add is refused to it). {@code cluster}: the failover cluster this
 * host joins (null: none).
 */
public record ServiceOptions(
        Path stateDir,
        String host,
        int port,
        ApiServer.Tls tls,
        boolean requireAuth,
        boolean memoryOvercommit,
        boolean confineWorkers,
        org.viridian.management.cluster.ClusterOptions cluster) {
    public static final int DEFAULT_PORT = 7480;

    public ServiceOptions(Path stateDir, String host, int port, ApiServer.Tls tls, boolean requireAuth) {
        this(stateDir, host, port, tls, requireAuth, false);
    }

    public ServiceOptions(
            Path stateDir, String host, int port, ApiServer.Tls tls, boolean requireAuth, boolean memoryOvercommit) {
        this(stateDir, host, port, tls, requireAuth, memoryOvercommit, false);
    }

    public ServiceOptions(
            Path stateDir,
            String host,
            int port,
            ApiServer.Tls tls,
            boolean requireAuth,
            boolean memoryOvercommit,
            boolean confineWorkers) {
        this(stateDir, host, port, tls, requireAuth, memoryOvercommit, confineWorkers, null);
    }

    public ServiceOptions withMemoryOvercommit(boolean on) {
        return new ServiceOptions(stateDir, host, port, tls, requireAuth, on, confineWorkers, cluster);
    }

    public ServiceOptions withConfinedWorkers(boolean on) {
        return new ServiceOptions(stateDir, host, port, tls, requireAuth, memoryOvercommit, on, cluster);
    }

    /** Joins a failover cluster ({@code c} null: a standalone host). */
    public ServiceOptions withCluster(org.viridian.management.cluster.ClusterOptions c) {
        return new ServiceOptions(stateDir, host, port, tls, requireAuth, memoryOvercommit, confineWorkers, c);
    }

    public ServiceOptions {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        if (!isLoopback(host)) {
            if (tls == null) {
                throw new IllegalArgumentException("listening on " + host + " (not loopback) requires TLS: give "
                        + "--tls-keystore (PKCS#12) and its password");
            }
            requireAuth = true;
        }
    }

    /** The default state directory: $VIRIDIAN_HOME, else ~/.viridian. */
    public static Path defaultStateDir() {
        String env = System.getenv("VIRIDIAN_HOME");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".viridian");
    }

    /** Parses "ADDR:PORT", ":PORT", "PORT" or "ADDR" (IPv6 in brackets). */
    public static String[] parseListen(String s) {
        String host = "127.0.0.1";
        String port = Integer.toString(DEFAULT_PORT);
        if (s.startsWith("[")) {
            int end = s.indexOf(']');
            if (end < 0) throw new IllegalArgumentException("bad listen address: " + s);
            host = s.substring(1, end);
            if (s.length() > end + 1) {
                if (s.charAt(end + 1) != ':') throw new IllegalArgumentException("bad listen address: " + s);
                port = s.substring(end + 2);
            }
        } else if (s.matches("\\d+")) {
            port = s;
        } else if (s.contains(":")) {
            int i = s.lastIndexOf(':');
            if (i > 0) host = s.substring(0, i);
            port = s.substring(i + 1);
        } else {
            host = s;
        }
        if (!port.matches("\\d{1,5}")) throw new IllegalArgumentException("bad port in listen address: " + s);
        return new String[] {host, port};
    }

    public static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown listen address: " + host);
        }
    }
}
