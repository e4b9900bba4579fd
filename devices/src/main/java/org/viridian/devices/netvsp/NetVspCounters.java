package org.viridian.devices.netvsp;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What one network adapter has moved and refused: frames and bytes each way ("tx" is guest to port, "rx" port to
 * guest) and every dropped or refused message by reason. A guest that breaks the protocol shows up here, for this
 * adapter alone; only ring damage fails the channel.
 */
public record NetVspCounters(long txFrames, long txBytes, long rxFrames, long rxBytes, Map<Drop, Long> drops) {
    public NetVspCounters {
        drops = Collections.unmodifiableMap(new EnumMap<>(drops));
    }

    /** Why a message or frame was dropped or refused. */
    public enum Drop {
        /** An NVSP message that does not parse (too short, unknown type, bad field). */
        MALFORMED_NVSP,
        /** A well-formed NVSP message at the wrong time (before INIT, a second buffer, a revoke of another id). */
        UNEXPECTED_NVSP,
        /** A send-buffer section index or size outside the send buffer (or no send buffer). */
        BAD_SEND_SECTION,
        /** Page ranges outside the guest's RAM, or more bytes than the adapter takes in one message. */
        BAD_GUEST_PAGES,
        /** An RNDIS message that does not parse (length past its buffer, bad offsets, unknown type). */
        MALFORMED_RNDIS,
        /** An RNDIS message at the wrong time (data before RNDIS initialization). */
        UNEXPECTED_RNDIS,
        /** A guest frame longer than the adapter's MTU allows, or shorter than an Ethernet header. */
        TX_BAD_SIZE,
        /**
         * A guest frame marked for checksum or segmentation offload whose headers do not parse or disagree with its
         * per-packet information, or that asks for an offload the adapter did not offer.
         */
        BAD_OFFLOAD,
        /** A completion of a receive section the guest does not hold. */
        BAD_COMPLETION,
        /** A VMBus packet type NetVSP does not take. */
        UNEXPECTED_PACKET_TYPE,
        /** The link is down (the adapter's or the port's). */
        LINK_DOWN,
        /** The port could not take a frame. */
        PORT_ERROR,
        /** A frame for the guest before it is ready (no receive buffer, RNDIS not initialized or halted). */
        RX_NOT_READY,
        /** A frame for the guest that its packet filter does not want. */
        RX_FILTERED,
        /** A frame for the guest longer than its receive sections (its MTU). */
        RX_TOO_LONG,
        /** Every receive section is still held by the guest. */
        RX_NO_SECTION,
        /** The guest's ring had no room for the frame's packet. */
        RX_RING_FULL,
        /** Control answers waiting for a receive section beyond the limit. */
        CONTROL_BACKLOG_FULL
    }

    public long drops(Drop reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** Every drop, whatever the reason. */
    public long totalDrops() {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }
}
