package org.viridian.devices.netvsp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.devices.netvsp.protocol.RndisMessageType;
import org.viridian.vmbus.ring.GpaPages;

/**
 * The guest's receive buffer (a GPADL it named in SEND_RECEIVE_BUFFER), carved into equal sections, one message per
 * section. The host takes a free section, writes an RNDIS message there, and names it in a transfer-page packet whose
 * transaction id is the section's index; the guest's completion of that packet gives it back. Free sections are a
 * stack of indices, so taking and giving back allocate nothing. Every channel of the adapter takes and gives back
 * sections (each under its own lock), so those two are synchronized here; a section's bytes are its holder's alone.
 */
final class ReceiveBuffer {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    final int id;
    final int sectionSize;
    final int sectionCount;
    private final GpaPages pages;
    private final int[] free;
    private int freeCount;
    private final boolean[] held;
    /** One per-packet information entry (12-byte header, u32 value): a frame's receive checksum indication. */
    static final int CHECKSUM_PPI = RndisMessage.Packet.PPI_HEADER + 4;
    /** The RNDIS header, packet struct and room for the checksum indication before a frame. */
    static final int RX_HEADER = RndisMessage.Packet.FRAME_OFFSET + CHECKSUM_PPI;

    private ReceiveBuffer(int id, GpaPages pages, int sectionSize, int sectionCount) {
        this.id = id;
        this.pages = pages;
        this.sectionSize = sectionSize;
        this.sectionCount = sectionCount;
        free = new int[sectionCount];
        held = new boolean[sectionCount];
        // Lowest index on top, so the guest sees sections used in order.
        for (int i = 0; i < sectionCount; i++) free[i] = sectionCount - 1 - i;
        freeCount = sectionCount;
    }

    /** Sections of {@code sectionSize} bytes over {@code pages}; null when not even one fits. */
    static ReceiveBuffer carve(int id, GpaPages pages, int sectionSize) {
        long count = pages.size() / sectionSize;
        if (count < 1) return null;
        return new ReceiveBuffer(id, pages, sectionSize, (int) Math.min(count, Integer.MAX_VALUE));
    }

    /** A free section's index, now held by the guest until it completes it; -1 when all are held. */
    synchronized int take() {
        if (freeCount == 0) return -1;
        int s = free[--freeCount];
        held[s] = true;
        return s;
    }

    /** The guest completed {@code section}: free it. False when that is not a section the guest holds. */
    synchronized boolean giveBack(long section) {
        if (section < 0 || section >= sectionCount || !held[(int) section]) return false;
        held[(int) section] = false;
        free[freeCount++] = (int) section;
        return true;
    }

    /** The sections the guest holds, lowest first (for a saved VM). */
    synchronized int[] heldSections() {
        int[] out = new int[held()];
        for (int i = 0, n = 0; i < sectionCount; i++) if (held[i]) out[n++] = i;
        return out;
    }

    /** After a restore: the guest holds {@code sections} (each once, within the buffer) and will complete them. */
    synchronized void hold(int[] sections) {
        for (int s : sections) {
            if (s < 0 || s >= sectionCount || held[s])
                throw new IllegalArgumentException("netvsp: saved receive section " + s + " of " + sectionCount);
            held[s] = true;
        }
        freeCount = 0;
        // Free ones lowest on top again, as a fresh buffer's.
        for (int i = sectionCount - 1; i >= 0; i--) if (!held[i]) free[freeCount++] = i;
    }

    synchronized int held() {
        return sectionCount - freeCount;
    }

    long offset(int section) {
        return (long) section * sectionSize;
    }

    /**
     * Writes {@code frame[off, off+len)} as an RNDIS packet message into {@code section}, with a
     * TCPIP_CHKSUM_PKTINFO entry holding {@code checksumInfo} (struct ndis_tcp_ip_checksum_info's receive bits) when
     * it is not 0; {@code header} is the caller's scratch of {@link #RX_HEADER} bytes. Returns the message's length.
     */
    int writeFrame(int section, byte[] frame, int off, int len, int checksumInfo, byte[] header) {
        int ppi = checksumInfo == 0 ? 0 : CHECKSUM_PPI, headerLength = RndisMessage.Packet.FRAME_OFFSET + ppi;
        // struct rndis_message + struct rndis_packet, the per-packet information right after it, then the frame.
        INT.set(header, 0, RndisMessageType.PACKET.code());
        INT.set(header, 4, headerLength + len);
        INT.set(header, 8, RndisMessage.Packet.STRUCT + ppi);
        INT.set(header, 12, len);
        INT.set(header, 16, 0);
        INT.set(header, 20, 0);
        INT.set(header, 24, 0);
        INT.set(header, 28, ppi == 0 ? 0 : RndisMessage.Packet.STRUCT);
        INT.set(header, 32, ppi);
        INT.set(header, 36, 0);
        INT.set(header, 40, 0);
        if (ppi != 0) {
            INT.set(header, 44, CHECKSUM_PPI);
            INT.set(header, 48, RndisMessage.Packet.PPI_CHECKSUM);
            INT.set(header, 52, RndisMessage.Packet.PPI_HEADER);
            INT.set(header, 56, checksumInfo);
        }
        long at = offset(section);
        pages.write(at, header, 0, headerLength);
        pages.write(at + headerLength, frame, off, len);
        return headerLength + len;
    }

    /** Writes a (control) message's bytes into {@code section}. */
    void write(int section, byte[] message) {
        pages.write(offset(section), message, 0, message.length);
    }
}
