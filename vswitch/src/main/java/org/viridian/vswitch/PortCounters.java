package org.viridian.vswitch;

import java.util.Map;

/**
 * A port's traffic as the VM sees it (frames and bytes it sent to and received from the switch) and the frames the
 * port's policies dropped, by policy ("mac-spoof-guard", "dhcp-guard", "router-guard", "acl").
 */
public record PortCounters(
        long sentFrames, long sentBytes, long receivedFrames, long receivedBytes, Map<String, Long> dropped) {
    public PortCounters {
        dropped = Map.copyOf(dropped);
    }

    public long dropped(String policy) {
        return dropped.getOrDefault(policy, 0L);
    }
}
