package org.viridian.vswitch;

/**
 * A port's maximum bandwidth through tc: a token bucket on the TAP's egress (traffic to the VM) and a policer on its
 * ingress (traffic from the VM; Linux cannot queue ingress without an extra IFB device). The bucket holds 20 ms of
 * traffic, at least 16 KiB; the policer, which drops instead of queueing, gets 100 ms, at least 64 KiB, or TCP backs
 * off below the rate (measured: 0.85 of a 2 Mbit/s limit with the smaller burst).
 */
final class RateLimit {
    private RateLimit() {}

    static void apply(String ifname, long bitsPerSecond) throws NetworkConfigException {
        HostTool.quietly("tc", "qdisc", "del", "dev", ifname, "root");
        HostTool.quietly("tc", "qdisc", "del", "dev", ifname, "ingress");
        if (bitsPerSecond == 0) return;
        long burst = Math.max(16 << 10, bitsPerSecond / 8 / 50);
        HostTool.run(
                "tc",
                "qdisc",
                "add",
                "dev",
                ifname,
                "root",
                "tbf",
                "rate",
                bitsPerSecond + "bit",
                "burst",
                Long.toString(burst),
                "latency",
                "50ms");
        HostTool.run("tc", "qdisc", "add", "dev", ifname, "handle", "ffff:", "ingress");
        HostTool.run(
                "tc",
                "filter",
                "add",
                "dev",
                ifname,
                "parent",
                "ffff:",
                "protocol",
                "all",
                "prio",
                "1",
                "matchall",
                "action",
                "police",
                "rate",
                bitsPerSecond + "bit",
                "burst",
                Long.toString(burst),
                "conform-exceed",
                "drop");
    }
}
