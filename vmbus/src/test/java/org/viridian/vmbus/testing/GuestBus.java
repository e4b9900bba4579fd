package org.viridian.vmbus.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.HypercallDispatcher;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.msr.HvMsr;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.protocol.GpadlCreated;
import org.viridian.vmbus.protocol.GpadlHeader;
import org.viridian.vmbus.protocol.InitiateContact;
import org.viridian.vmbus.protocol.OfferChannel;
import org.viridian.vmbus.protocol.OpenChannelRequest;
import org.viridian.vmbus.protocol.OpenChannelResult;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.RequestOffers;
import org.viridian.vmbus.protocol.VersionResponse;
import org.viridian.vmbus.protocol.Vmbus;
import org.viridian.vmbus.protocol.VmbusMessage;
import org.viridian.vmbus.ring.GpaPages;
import org.viridian.vmbus.ring.RingBuffer;
import org.viridian.vmbus.server.VmbusServer;

/**
 * A guest's VMBus client against a real {@link VmbusServer}, for device tests: SynICs of {@code vps} processors in
 * guest memory, channel messages posted through the real hypercall dispatcher (HvPostMessage from guest memory,
 * HvSignalEvent), answers taken from the SINT 2 message slot of the VP the guest contacted with, as hv_vmbus does.
 * The guest's view (offers by relid, rings) outlives the server, so a test can save the server, build another on the
 * same memory ({@link #restart}) and restore it, as a VM restored from its state file.
 */
public final class GuestBus {
    /** Message pages, one per VP, and the hypercall input page: low guest memory tests leave alone. */
    private static final long SIMP = 0x10000, INPUT = 0x30000;

    private final GuestMemory memory;
    private final List<Synic> synics = new ArrayList<>();
    private final Map<Integer, OfferChannel> offers = new ConcurrentHashMap<>();
    private HypercallDispatcher dispatcher;
    private VmbusServer server;
    private int contactVp;

    public GuestBus(GuestMemory memory, int vps) {
        this.memory = memory;
        for (int i = 0; i < vps; i++) {
            Synic s = new Synic(i, memory, (vp, vector) -> {});
            s.writeMsr(HvMsr.SIMP, (SIMP + 0x1000L * i) | 1);
            s.writeMsr(HvMsr.SINT0 + Vmbus.DEFAULT_SINT, 0xF3);
            s.writeMsr(HvMsr.SCONTROL, 1);
            synics.add(s);
        }
        restart();
    }

    /** The current server (devices are added to it by the test). */
    public VmbusServer server() {
        return server;
    }

    /** A fresh server on the same SynICs and memory, as in a VM built anew to restore into; the old one is let go. */
    public VmbusServer restart() {
        MessageCalls calls = new MessageCalls();
        dispatcher = new HypercallDispatcher(memory, false);
        calls.registerWith(dispatcher);
        server = VmbusServer.attach(
                new SynicHost() {
                    public int vpCount() {
                        return synics.size();
                    }

                    public MessageCalls messageCalls() {
                        return calls;
                    }

                    public boolean postMessage(int vp, int sint, HvMessage m) {
                        return synics.get(vp).post(sint, m);
                    }

                    public boolean signalEvent(int vp, int sint, int flag) {
                        return synics.get(vp).signalEvent(sint, flag);
                    }
                },
                memory);
        return server;
    }

    /** INITIATE_CONTACT (5.3, messages to {@code vp}), then REQUEST_OFFERS; returns the offers up to ALL_OFFERS. */
    public List<OfferChannel> connect(int vp) {
        contactVp = vp;
        post(Vmbus.CONNECTION_ID_4, new InitiateContact(0x50003, vp, Vmbus.DEFAULT_SINT, 0, 0));
        if (!(next() instanceof VersionResponse v) || !v.supported())
            throw new AssertionError("VMBus 5.3 was not accepted");
        post(Vmbus.CONNECTION_ID, new RequestOffers());
        List<OfferChannel> list = new ArrayList<>();
        for (VmbusMessage m = next(); m instanceof OfferChannel o; m = next()) list.add(remember(o));
        return list;
    }

    /** The next offer the host sends (a sub-channel's comes from another thread, shortly after it was asked for). */
    public OfferChannel awaitOffer() {
        VmbusMessage m = next();
        if (m instanceof OfferChannel o) return remember(o);
        throw new AssertionError("expected an offer, got " + m);
    }

    private OfferChannel remember(OfferChannel o) {
        offers.put(o.childRelid(), o);
        return o;
    }

    /** The guest's rings of an open channel: the one it writes and the one it reads. */
    public record Rings(int relid, RingBuffer out, RingBuffer in) {}

    /**
     * Creates a GPADL of {@code pages} pages at {@code pfn} (at most 26: one header message) and opens the channel on
     * it, half each way, interrupting {@code targetVp}.
     */
    public Rings open(int relid, int gpadl, long pfn, int pages, int targetVp) {
        long[] pfns = new long[pages];
        for (int i = 0; i < pages; i++) pfns[i] = pfn + i;
        post(Vmbus.CONNECTION_ID, new GpadlHeader(relid, gpadl, 8 + 8 * pages, 1, pages * 4096L, 0, pfns));
        if (!(next() instanceof GpadlCreated c) || c.status() != 0) throw new AssertionError("GPADL refused");
        post(Vmbus.CONNECTION_ID, new OpenChannelRequest(relid, relid, gpadl, targetVp, pages / 2));
        if (!(next() instanceof OpenChannelResult r) || r.status() != 0)
            throw new AssertionError("OPEN_CHANNEL refused");
        GpaPages all = new GpaPages(memory, pfns);
        return new Rings(
                relid,
                new RingBuffer(all.range(0, pages / 2)),
                new RingBuffer(all.range(pages / 2, pages - pages / 2)));
    }

    /** HvSignalEvent on the channel's connection, from {@code vp}. */
    public void signal(int relid, int vp) {
        OfferChannel o = offers.get(relid);
        long status = dispatcher.dispatch(vp, MessageCalls.SIGNAL_EVENT | (1L << 16), o.connectionId(), 0) & 0xFFFF;
        if (status != 0) throw new AssertionError("HvSignalEvent failed: " + status);
    }

    private void post(int connection, VmbusMessage m) {
        byte[] payload = m.toBytes();
        memory.writeInt(INPUT, connection);
        memory.writeInt(INPUT + 4, 0);
        memory.writeInt(INPUT + 8, Vmbus.SYNIC_MESSAGE_TYPE);
        memory.writeInt(INPUT + 12, payload.length);
        memory.write(INPUT + 16, payload);
        long status = dispatcher.dispatch(contactVp, MessageCalls.POST_MESSAGE, INPUT, 0) & 0xFFFF;
        if (status != 0) throw new AssertionError("HvPostMessage failed: " + status);
    }

    /** The next channel message in the contact VP's slot (waiting up to 10 s), taken as the guest does (EOM). */
    public VmbusMessage next() {
        long slot = SIMP + 0x1000L * contactVp + Vmbus.DEFAULT_SINT * 256;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (memory.readInt(slot) != Vmbus.SYNIC_MESSAGE_TYPE) {
            if (System.nanoTime() > deadline) throw new AssertionError("no VMBus message within 10 s");
            Thread.onSpinWait();
        }
        int size = memory.readInt(slot + 4) & 0xFF;
        ByteBuffer b = ByteBuffer.wrap(memory.read(slot + 16, 240)).order(ByteOrder.LITTLE_ENDIAN);
        memory.writeInt(slot, 0);
        synics.get(contactVp).writeMsr(HvMsr.EOM, 0);
        try {
            return VmbusMessage.parse(b, Math.min(size, 240));
        } catch (ProtocolException e) {
            throw new AssertionError("the host sent a malformed message: " + e.getMessage(), e);
        }
    }
}
