package org.viridian.management.cluster;

import java.io.IOException;
import java.time.Duration;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * A plain ZooKeeper handle reattached to an earlier session of this host (its id and password), which Curator gave up
 * after a timeout's worth of silence while the ensemble kept it (an ensemble down entirely restores its sessions with
 * a fresh timeout when a quorum forms again). Its acknowledged requests renew the lease bound to that session; once
 * that session's owner nodes are carried over, closing the keeper ends the session.
 */
final class SessionKeeper implements AutoCloseable {
    /** Where acknowledgements go: (send time, session). */
    interface Acks {
        void acked(long sentAt, long session);
    }

    private final ZooKeeper zk;
    private final long session;
    private volatile boolean expired;

    SessionKeeper(String connect, Duration timeout, long session, byte[] password) throws IOException {
        this.session = session;
        Watcher w = e -> {
            if (e.getState() == Watcher.Event.KeeperState.Expired) expired = true;
        };
        zk = new ZooKeeper(connect, (int) timeout.toMillis(), w, session, password);
    }

    /** Sends one request on the old session; its acknowledgement renews the lease bound to it. */
    void touch(long now, Acks acks) {
        if (expired || !zk.getState().isConnected()) return;
        zk.exists(
                ClusterStore.ROOT,
                false,
                (rc, path, ctx, stat) -> {
                    if (rc == KeeperException.Code.OK.intValue()) acks.acked(now, session);
                },
                null);
    }

    @Override
    public void close() {
        try {
            zk.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
