package org.viridian.devices.ic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.viridian.devices.ic.protocol.IcHeader;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;

/**
 * The guest's end of an integration-service channel over real rings in guest memory, playing Linux's hv_utils from
 * the ICMSG layout (include/linux/hyperv.h): it reads the host's requests and answers in the same buffer, as
 * vmbus_prep_negotiate_resp and the per-service callbacks do (flags TRANSACTION|RESPONSE, status, same length).
 */
final class GuestSide implements AutoCloseable {
    static final int PIPE = 8, HEADER = 28;
    final GuestMemory memory = GuestMemory.allocate(1 << 20);
    final AtomicInteger interrupts = new AtomicInteger();
    /** The guest's views: it reads the host's ring and writes its own. */
    final RingBuffer inbox, outbox;

    final OpenChannel channel;
    private final IcService service;

    /** {@code ringPages}: pages per ring, the control page included. */
    GuestSide(IcService service, int ringPages) {
        this.service = service;
        long[] toGuest = LongStream.range(0x10, 0x10 + ringPages).toArray();
        long[] fromGuest = LongStream.range(0x40, 0x40 + ringPages).toArray();
        inbox = new RingBuffer(new GpaPages(memory, toGuest));
        outbox = new RingBuffer(new GpaPages(memory, fromGuest));
        channel = new OpenChannel(
                7,
                new RingBuffer(new GpaPages(memory, fromGuest)),
                new RingBuffer(new GpaPages(memory, toGuest)),
                interrupts::incrementAndGet);
    }

    void open() {
        service.opened(channel);
    }

    /** The host's next message (ICMSG bytes), waiting up to two seconds for it. */
    ByteBuffer next() throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Packet> p = inbox.read();
            if (p.isPresent()) {
                assertThat(p.get().type()).isEqualTo(Packet.DATA_INBAND);
                return ByteBuffer.wrap(p.get().data()).order(ByteOrder.LITTLE_ENDIAN);
            }
            Thread.sleep(2);
        }
        throw new AssertionError("the host sent nothing within 2 s");
    }

    /** Nothing from the host right now. */
    boolean inboxEmpty() {
        return inbox.read().isEmpty();
    }

    static int type(ByteBuffer m) {
        return Short.toUnsignedInt(m.getShort(PIPE + 4));
    }

    static int transaction(ByteBuffer m) {
        return m.get(PIPE + 16) & 0xFF;
    }

    /** The body after the pipe and IC headers. */
    static ByteBuffer body(ByteBuffer m) {
        return m.slice(HEADER, m.limit() - HEADER).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Answers the negotiation request with framework {@code fw} and service version {@code version}. */
    void negotiate(int fw, int version) throws InterruptedException {
        ByteBuffer m = next();
        assertThat(type(m)).isEqualTo(0);
        m.putShort(HEADER, (short) 1)
                .putShort(HEADER + 2, (short) 1)
                .putShort(HEADER + 8, (short) (fw >>> 16))
                .putShort(HEADER + 10, (short) fw)
                .putShort(HEADER + 12, (short) (version >>> 16))
                .putShort(HEADER + 14, (short) version);
        answer(m, 0);
    }

    /** Sends {@code m} back as the answer with {@code status}, and signals the host. */
    void answer(ByteBuffer m, int status) {
        m.putInt(PIPE + 12, status).put(PIPE + 17, (byte) (IcHeader.FLAG_TRANSACTION | IcHeader.FLAG_RESPONSE));
        send(m.array());
    }

    void send(byte[] data) {
        assertThat(outbox.write(Packet.DATA_INBAND, 0, 0, new byte[0], data)).isNotEqualTo(RingBuffer.WriteResult.FULL);
        service.guestSignalled();
    }

    @Override
    public void close() {
        service.closed();
        memory.close();
    }
}
