package org.viridian.vmbus.ring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The headers of a transfer-page packet (VM_PKT_DATA_USING_XFER_PAGES, Linux's struct vmtransfer_page_packet_header
 * after its descriptor): u16 transfer page set id, u8 sender-owns-set, u8 reserved, u32 range count, then per range u32
 * byte count and u32 byte offset into the page set (a buffer the receiver gave the sender earlier, such as NetVSP's
 * receive buffer). The host writes them with one range per packet; {@link #parse} is for the guest's side in tests.
 */
public record TransferPageHeader(int pageSetId, int byteCount, int byteOffset) {
    /** Bytes of the headers for one range (a multiple of 8, as packet headers must be). */
    public static final int SIZE = 16;

    /** Writes the one-range header into {@code b} (at least {@link #SIZE} bytes) from index 0. */
    public static void write(byte[] b, int pageSetId, int byteCount, int byteOffset) {
        // Through a view handle rather than a ByteBuffer: the host writes one per received frame.
        INT.set(b, 0, pageSetId & 0xFFFF);
        INT.set(b, 4, 1);
        INT.set(b, 8, byteCount);
        INT.set(b, 12, byteOffset);
    }

    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** The one range of a transfer-page packet from its headers; a packet that is not one or lacks it is damage. */
    public static TransferPageHeader parse(Packet p) {
        if (p.type() != Packet.DATA_USING_XFER_PAGES)
            throw new RingCorruptException("packet type " + p.type() + " is not a transfer-page packet");
        ByteBuffer h = p.extraHeaders();
        if (h.remaining() < SIZE || h.getInt(4) != 1)
            throw new RingCorruptException("transfer-page packet without exactly one range");
        return new TransferPageHeader(Short.toUnsignedInt(h.getShort(0)), h.getInt(8), h.getInt(12));
    }
}
