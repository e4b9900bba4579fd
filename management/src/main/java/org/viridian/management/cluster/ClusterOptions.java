package org.viridian.management.cluster;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How this host joins a cluster: the ZooKeeper ensemble's members ("host:port,…"), this host's name in the cluster,
 * the root of the storage every host sees (highly available VMs' disks must be under it) and the session timeout,
 * which is the host's lease: a host silent for that long is taken for dead and its VMs start elsewhere.
 */
public record ClusterOptions(String connect, String hostName, Path sharedStorage, Duration sessionTimeout) {
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public ClusterOptions {
        members(connect);
        if (hostName == null || !NAME.matcher(hostName).matches())
            throw new IllegalArgumentException(
                    "--host-name must be 1-63 letters, digits, '.', '_' or '-' (starting with a letter or digit)");
        if (sharedStorage != null) {
            sharedStorage = sharedStorage.toAbsolutePath().normalize();
            if (!Files.isDirectory(sharedStorage))
                throw new IllegalArgumentException("--shared-storage " + sharedStorage + " is not a directory");
        }
        if (sessionTimeout == null) sessionTimeout = DEFAULT_SESSION_TIMEOUT;
        if (sessionTimeout.toMillis() < 1000 || sessionTimeout.toMillis() > 120_000)
            throw new IllegalArgumentException("the cluster session timeout must be between 1 s and 120 s");
    }

    /** The ensemble's members, parsed from "host:port,…" (IPv6 in brackets). */
    public static List<InetSocketAddress> members(String connect) {
        if (connect == null || connect.isBlank())
            throw new IllegalArgumentException(
                    "--cluster needs the ZooKeeper members, e.g. zk1:2181,zk2:2181,zk3:2181");
        List<InetSocketAddress> out = new ArrayList<>();
        for (String m : connect.split(",")) {
            m = m.strip();
            int colon = m.lastIndexOf(':');
            if (colon <= 0 || !m.substring(colon + 1).matches("\\d{1,5}"))
                throw new IllegalArgumentException("bad cluster member '" + m + "': give host:port");
            String host = m.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            out.add(InetSocketAddress.createUnresolved(host, Integer.parseInt(m.substring(colon + 1))));
        }
        return List.copyOf(out);
    }

    public List<InetSocketAddress> members() {
        return members(connect);
    }
}
