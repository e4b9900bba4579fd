package org.viridian.vmbus.server;

import org.viridian.vmbus.ring.RingBuffer;

/**
 * An open channel: the ring the guest writes (host reads) and the ring the host writes (guest reads), carved out of the
 * GPADL the guest named at the page offset it named, and a way to interrupt the guest for this channel.
 */
public record OpenChannel(int relid, RingBuffer fromGuest, RingBuffer toGuest, Runnable signalGuest) {}
