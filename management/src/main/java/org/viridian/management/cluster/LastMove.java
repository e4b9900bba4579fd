package org.viridian.management.cluster;

import java.time.Instant;

/**
 * How a clustered VM last changed hosts, as `cluster status` shows it: {@code how} is "quick" (saved there, resumed
 * here: the guest ran on), "cold" (shut down there, booted here) or "failover" (its owner's lease ended; booted here);
 * {@code pauseMs}: from the guest's stop on the source to its running here (null until known, and for a failover);
 * {@code note}: why a move was not quick, or what went wrong on the way.
 */
public record LastMove(String how, String from, String to, Instant at, Long pauseMs, String note) {
    public static final String QUICK = "quick";
    public static final String COLD = "cold";
    public static final String FAILOVER = "failover";

    public LastMove withPause(long ms) {
        return new LastMove(how, from, to, at, ms, note);
    }
}
