package org.viridian.app.acceptance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.viridian.app.nested.NestedKvmHost;

/**
 * What a busybox initramfs needs for Linux to answer KVP: Debian's hv_kvp_daemon (package hyperv-daemons) with its
 * libraries, an os-release for the OS fields, and a hosts file that gives the guest's host name a fully qualified one
 * (the daemon's FullyQualifiedDomainName is getaddrinfo's canonical name for it). Empty where the package is missing.
 */
final class KvpGuestFiles {
    static final String DOMAIN = ".viridian.test";

    private KvpGuestFiles() {}

    /** The files for a guest whose host name is {@code hostname}, by their path in the initramfs. */
    static Map<String, Path> forHost(String hostname, String osName) throws IOException, InterruptedException {
        Map<String, Path> daemon =
                NestedKvmHost.dynamicProgram("hv_kvp_daemon", "hyperv-daemons", "sbin/hv_kvp_daemon");
        if (daemon.isEmpty()) return Map.of();
        Map<String, Path> files = new LinkedHashMap<>(daemon);
        files.put("etc/os-release", temp("os-release", "NAME=\"" + osName + "\"\nVERSION_ID=\"1.0\"\n"));
        files.put("etc/hosts", temp("hosts", "127.0.0.1 " + hostname + DOMAIN + " " + hostname + " localhost\n"));
        files.put("etc/nsswitch.conf", temp("nsswitch", "hosts: files\n"));
        return files;
    }

    private static Path temp(String name, String text) throws IOException {
        Path p = Files.createTempFile(name, "");
        Files.writeString(p, text);
        p.toFile().deleteOnExit();
        return p;
    }
}
