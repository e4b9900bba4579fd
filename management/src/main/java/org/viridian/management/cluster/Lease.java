package org.viridian.management.cluster;

import java.time.Duration;

/**
 * This host's view of its own lease (its ZooKeeper session), on the monotonic clock. The ensemble expires the session
 * no earlier than the session timeout after the last request it received from this host, and that request was sent no
 * earlier than {@link #acked}'s send time; so once {@link #fenceAfterNanos} (3/4 of the timeout) has passed since the
 * last acknowledged request was sent, this host must stop its clustered VMs: the last quarter is the margin for
 * powering them off (milliseconds) before any other host could even see the session expire (the expiry itself is
 * checked at tick boundaries, rounded up, and a taker then needs a reconcile pass and a claim). Proof that no quorum exists ({@link QuorumProbe}) renews the lease the same
 * way, since a quorum that forms later starts every session's timeout afresh.
 */
final class Lease {
    private volatile long timeoutNanos;
    private volatile long ackedSend;
    private volatile long noQuorumSince = Long.MIN_VALUE;
    /** The session whose acknowledgements renew the lease (the one that holds this host's owner nodes). */
    private volatile long bound;

    Lease(Duration timeout, long now) {
        this.timeoutNanos = timeout.toNanos();
        this.ackedSend = now;
    }

    /** The session timeout the ensemble granted (it may differ from the one asked for). */
    void timeout(Duration negotiated) {
        if (!negotiated.isZero()) timeoutNanos = negotiated.toNanos();
    }

    Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    /**
     * From now on, acknowledgements in {@code session} renew the lease; {@code ackedAt}: the send time of a request
     * that session has had acknowledged already (Long.MIN_VALUE: none).
     */
    synchronized void bind(long session, long ackedAt) {
        if (bound == session) return;
        bound = session;
        if (ackedAt != Long.MIN_VALUE && ackedAt - ackedSend > 0) ackedSend = ackedAt;
    }

    /** A request sent at {@code sentAt} in {@code session} was acknowledged. */
    synchronized void acked(long sentAt, long session) {
        if (session == bound && sentAt - ackedSend > 0) ackedSend = sentAt;
    }

    /** A probe started at {@code probedAt} found no quorum anywhere. */
    synchronized void noQuorum(long probedAt) {
        if (noQuorumSince == Long.MIN_VALUE || probedAt - noQuorumSince > 0) noQuorumSince = probedAt;
    }

    long fenceAfterNanos() {
        return timeoutNanos / 4 * 3;
    }

    /** Nanoseconds since the last renewal (an acknowledged request or proof of no quorum). */
    long age(long now) {
        long renewed = ackedSend;
        if (noQuorumSince != Long.MIN_VALUE && noQuorumSince - renewed > 0) renewed = noQuorumSince;
        return now - renewed;
    }

    /** Time since the last acknowledged request alone. */
    long silence(long now) {
        return now - ackedSend;
    }

    /** When the fence falls unless renewed (System.nanoTime). */
    long deadline() {
        long renewed = ackedSend;
        if (noQuorumSince != Long.MIN_VALUE && noQuorumSince - renewed > 0) renewed = noQuorumSince;
        return renewed + fenceAfterNanos();
    }

    boolean expired(long now) {
        return age(now) > fenceAfterNanos();
    }

    /** Whether the ensemble has been silent long enough to start probing for a quorum. */
    boolean inDoubt(long now) {
        return silence(now) > timeoutNanos / 5;
    }

    /** Whether the last renewal came from proof of no quorum rather than from the ensemble. */
    boolean renewedByProbe() {
        return noQuorumSince != Long.MIN_VALUE && noQuorumSince - ackedSend > 0;
    }
}
