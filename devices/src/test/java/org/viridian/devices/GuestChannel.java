package org.viridian.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * The guest's end of one device's channel over real rings in guest memory (the first 1 MiB of {@code memory}): what
 * a Linux VSC does with vmbus_sendpacket and vmbus_recvpacket, without a VMBus server in between.
 */
public final class GuestChannel {
    public final AtomicInteger interrupts = new AtomicInteger();
    public final List<String> failures = new ArrayList<>();
    private final RingBuffer inbox, outbox;
    private final OpenChannel channel;
    private final VmbusDevice device;

    /** {@code ringPages}: pages per ring, control page included; the rings sit at pages 0x10 and 0x80. */
    public GuestChannel(GuestMemory memory, VmbusDevice device, int ringPages) {
        this.device = device;
        long[] toGuest = LongStream.range(0x10, 0x10 + ringPages).toArray();
        long[] fromGuest = LongStream.range(0x80, 0x80 + ringPages).toArray();
        inbox = new RingBuffer(new GpaPages(memory, toGuest));
        outbox = new RingBuffer(new GpaPages(memory, fromGuest));
        channel = new OpenChannel(
                7,
                new RingBuffer(new GpaPages(memory, fromGuest)),
                new RingBuffer(new GpaPages(memory, toGuest)),
                interrupts::incrementAndGet,
                failures::add);
    }

    public GuestChannel open() {
        device.opened(channel);
        return this;
    }

    /**
     * A fresh device (as in a VM restored from its state file) takes {@code state} on this channel's rings; the guest
     * talks to it from now on. The old device is closed first: it touches the rings no more.
     */
    public GuestChannel restoreInto(VmbusDevice fresh, byte[] state) {
        device.closed();
        fresh.restore(channel, state);
        return new GuestChannel(this, fresh);
    }

    private GuestChannel(GuestChannel rings, VmbusDevice device) {
        this.device = device;
        this.inbox = rings.inbox;
        this.outbox = rings.outbox;
        this.channel = rings.channel;
    }

    /** Writes one in-band packet (as the guest's driver would) and signals the device. */
    public void send(byte[] data) {
        send(Packet.DATA_INBAND, data);
    }

    public void send(int type, byte[] data) {
        if (outbox.write(type, 0, 1, new byte[0], data) == RingBuffer.WriteResult.FULL)
            throw new AssertionError("the device's ring is full");
        device.guestSignalled();
    }

    /** The device's next packet's data, if any. */
    public Optional<byte[]> receive() {
        return inbox.read().map(Packet::data);
    }

    /** Every packet the device sent so far. */
    public List<byte[]> drain() {
        List<byte[]> out = new ArrayList<>();
        for (Optional<byte[]> p = receive(); p.isPresent(); p = receive()) out.add(p.get());
        return out;
    }
}
