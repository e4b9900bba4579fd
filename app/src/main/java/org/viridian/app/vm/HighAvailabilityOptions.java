package org.viridian.app.vm;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** `vm create|set … --highly-available [--preferred-hosts H1,H2] [--priority high|medium|low]`. */
final class HighAvailabilityOptions {
    @Option(
            names = "--highly-available",
            description = "Make the VM a clustered VM (the service must be a cluster member with --shared-storage, and "
                    + "the VM's disks on it): when its host fails, another member starts it.")
    boolean highlyAvailable;

    @Option(
            names = "--preferred-hosts",
            split = ",",
            paramLabel = "HOST",
            description = "Members to run on, most preferred first (failback goes to the first that is up).")
    List<String> preferredHosts;

    @Option(
            names = "--priority",
            paramLabel = "PRIORITY",
            description = "high, medium (default) or low: after a failure, higher ones start first.")
    String priority;

    boolean given() {
        return highlyAvailable || preferredHosts != null || priority != null;
    }

    /** Makes {@code vm} highly available with these settings (or changes them where it already is). */
    void apply(ServiceClient c, String vm) {
        if (!given()) return;
        Map<String, Object> r = new LinkedHashMap<>();
        if (preferredHosts != null) r.put("preferredHosts", preferredHosts);
        if (priority != null) r.put("priority", priority);
        c.send("PUT", "/api/v1/cluster/vms/" + URLEncoder.encode(vm, StandardCharsets.UTF_8), r);
    }
}
