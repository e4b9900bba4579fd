package org.viridian.management.service;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What a running VM's integration services say about its guest: whether the heartbeat is answered, and what the
 * guest told through KVP (its auto pool). {@code kvp} null: KVP not offered; empty fields: not known (yet).
 */
public record GuestIntegration(Heartbeat heartbeat, Instant lastHeartbeat, GuestKvp kvp) {
    /** Answers older than this mean the guest stopped answering (heartbeats go every second). */
    public static final Duration HEARTBEAT_FRESH = Duration.ofSeconds(5);

    public enum Heartbeat {
        OK,
        NO_CONTACT,
        NOT_OFFERED
    }

    /** The guest's own words through KVP; {@code answered} false while it has not answered (no KVP daemon yet). */
    public record GuestKvp(
            boolean answered,
            String osName,
            String osVersion,
            String fullyQualifiedDomainName,
            List<String> ipv4Addresses) {
        public GuestKvp {
            ipv4Addresses = List.copyOf(ipv4Addresses);
        }

        public static final GuestKvp NO_ANSWER = new GuestKvp(false, null, null, null, List.of());

        /** From the guest's auto pool (keys as hv_kvp_daemon and Windows' KVP component name them). */
        public static GuestKvp fromAutoPool(Map<String, String> pool) {
            String ips = pool.getOrDefault("NetworkAddressIPv4", "");
            return new GuestKvp(
                    true,
                    pool.get("OSName"),
                    pool.get("OSVersion"),
                    pool.get("FullyQualifiedDomainName"),
                    Arrays.stream(ips.split(";"))
                            .map(String::trim)
                            .filter(s -> !s.isEmpty())
                            .toList());
        }
    }

    /** Heartbeat status from the last answer's time ({@code offered} false: not offered). */
    public static Heartbeat heartbeat(boolean offered, Instant lastAnswer, Instant now) {
        if (!offered) return Heartbeat.NOT_OFFERED;
        if (lastAnswer == null || Duration.between(lastAnswer, now).compareTo(HEARTBEAT_FRESH) > 0)
            return Heartbeat.NO_CONTACT;
        return Heartbeat.OK;
    }
}
