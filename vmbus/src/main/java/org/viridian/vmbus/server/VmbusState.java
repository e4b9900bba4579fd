package org.viridian.vmbus.server;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a VMBus server holds for one VM, for save/restore and migration: the negotiated connection and, per channel,
 * the GPADLs (their page lists; the pages themselves live in guest memory, which is saved separately), whether it was
 * rescinded, and how it was opened together with its device's own state. Ring indices need no copy: they are in
 * guest memory too. Sub-channels are channels like any other, with their primary's relid and their index among its
 * sub-channels (the offer the guest holds); a restore recreates them, each served by the device its primary names.
 */
public record VmbusState(int version, int vp, int sint, boolean connected, List<Channel> channels) {
    public VmbusState {
        channels = List.copyOf(channels);
    }

    /** {@code primary}: 0 for a primary channel, else its primary's relid; {@code subIndex}: 1.. for a sub-channel. */
    public record Channel(
            int relid,
            UUID classId,
            boolean rescinded,
            Map<Integer, long[]> gpadls,
            Open open,
            int primary,
            int subIndex) {
        public Channel {
            gpadls = Map.copyOf(gpadls);
            if ((primary == 0) != (subIndex == 0))
                throw new IllegalArgumentException("channel " + relid + ": primary " + primary + ", index " + subIndex);
        }

        /** A primary channel. */
        public Channel(int relid, UUID classId, boolean rescinded, Map<Integer, long[]> gpadls, Open open) {
            this(relid, classId, rescinded, gpadls, open, 0, 0);
        }

        /** Not named is…: the state file writes records by their components and bean getters. */
        public boolean subChannel() {
            return primary != 0;
        }
    }

    /** The GPADL holding both rings, the VP the guest wants interrupted, the page where the host's ring starts. */
    public record Open(int gpadl, int targetVp, int split, byte[] device) {}
}
