package org.viridian.vmbus.server;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a VMBus server holds for one VM, for save/restore and migration: the negotiated connection and, per channel,
 * the GPADLs (their page lists; the pages themselves live in guest memory, which is saved separately), whether it was
 * rescinded, and how it was opened together with its device's own state. Ring indices need no copy: they are in
 * guest memory too.
 */
public record VmbusState(int version, int vp, int sint, boolean connected, List<Channel> channels) {
    public VmbusState {
        channels = List.copyOf(channels);
    }

    public record Channel(int relid, UUID classId, boolean rescinded, Map<Integer, long[]> gpadls, Open open) {
        public Channel {
            gpadls = Map.copyOf(gpadls);
        }
    }

    /** The GPADL holding both rings, the VP the guest wants interrupted, the page where the host's ring starts. */
    public record Open(int gpadl, int targetVp, int split, byte[] device) {}
}
