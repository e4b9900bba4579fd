package org.viridian.vmbus.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.viridian.hv.SynicHost;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;

/**
 * The host side of VMBus channel management: version negotiation (INITIATE_CONTACT → VERSION_RESPONSE, accepting
 * every version in {@link ChannelMessage#VERSIONS}), the offer round (REQUEST_OFFERS → offers → ALL_OFFERS_DELIVERED)
 * and UNLOAD. Messages arrive by HvPostMessage on connection 1 or 4 and are answered on the SINT and VP the guest
 * chose. A malformed message is dropped with a log line for that VM only; nothing a guest sends reaches the host
 * beyond this class.
 */
public final class VmbusServer {
    private final SynicHost hv;
    private volatile int version, vp, sint = ChannelMessage.DEFAULT_SINT;
    private volatile boolean connected;

    private VmbusServer(SynicHost hv) {
        this.hv = hv;
    }

    public static VmbusServer attach(SynicHost hv) {
        VmbusServer s = new VmbusServer(hv);
        hv.messageCalls().onMessage(ChannelMessage.CONNECTION_ID, s::onMessage);
        hv.messageCalls().onMessage(ChannelMessage.CONNECTION_ID_4, s::onMessage);
        return s;
    }

    /** The negotiated version (major << 16 | minor), or 0 before the guest connects. */
    public int version() {
        return connected ? version : 0;
    }

    void onMessage(MessageCalls.GuestMessage m) {
        ByteBuffer b = ByteBuffer.wrap(m.payload()).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 8) {
            reject(m, "shorter than the 8-byte header");
            return;
        }
        int type = b.getInt(0);
        switch (type) {
            case ChannelMessage.INITIATE_CONTACT -> initiateContact(m, b);
            case ChannelMessage.REQUEST_OFFERS -> {
                if (!connected) reject(m, "REQUEST_OFFERS before INITIATE_CONTACT");
                else send(header(ChannelMessage.ALL_OFFERS_DELIVERED, 8));
            }
            case ChannelMessage.UNLOAD -> {
                connected = false;
                send(header(ChannelMessage.UNLOAD_RESPONSE, 8));
            }
            default -> reject(m, "message type " + type + " is not handled yet");
        }
    }

    /** Header (8), version requested (u32), target VP (u32), interrupt page or msg_sint/msg_vtl (u64), 2 monitor pages. */
    private void initiateContact(MessageCalls.GuestMessage m, ByteBuffer b) {
        if (b.remaining() < 40) {
            reject(m, "INITIATE_CONTACT of " + b.remaining() + " bytes, expected 40");
            return;
        }
        int requested = b.getInt(8);
        int target = b.getInt(12);
        boolean modern = Integer.compareUnsigned(requested, ChannelMessage.VERSION_WIN10_V5) >= 0;
        int requestedSint = modern ? b.get(16) & 0xFF : ChannelMessage.DEFAULT_SINT;
        boolean supported = Arrays.stream(ChannelMessage.VERSIONS).anyMatch(v -> v == requested);
        // The 5.0+ contact must come on connection 4 and name a real VP and SINT.
        if (modern && m.connectionId() != ChannelMessage.CONNECTION_ID_4) supported = false;
        if (target < 0 || target >= hv.vpCount() || requestedSint > 15) supported = false;
        vp = supported ? target : m.vp();
        sint = supported ? requestedSint : ChannelMessage.DEFAULT_SINT;
        if (supported) {
            version = requested;
            connected = true;
        }
        ByteBuffer r = header(ChannelMessage.VERSION_RESPONSE, 16);
        r.put(8, (byte) (supported ? 1 : 0)).put(9, (byte) 0).putInt(12, ChannelMessage.CONNECTION_ID);
        send(r);
    }

    private static ByteBuffer header(int type, int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type);
    }

    private void send(ByteBuffer message) {
        if (!hv.postMessage(vp, sint, new HvMessage(ChannelMessage.SYNIC_MESSAGE_TYPE, 0, message.array()))) {
            System.err.println("vmbus: the guest's message queue on VP " + vp + " SINT " + sint + " is full; message dropped");
        }
    }

    private static void reject(MessageCalls.GuestMessage m, String why) {
        System.err.println("vmbus: dropped a message from VP " + m.vp() + ": " + why);
    }
}
