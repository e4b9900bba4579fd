package org.viridian.hv.hypercall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;

/**
 * HvPostMessage and HvSignalEvent: the guest-to-host half of the SynIC, routed by connection id to the host's
 * handlers (VMBus registers its connections here). Handlers run on the calling VP's thread and must not block.
 */
public final class MessageCalls {
    public static final int POST_MESSAGE = 0x005C, SIGNAL_EVENT = 0x005D;

    /** A message the guest posted. */
    public record GuestMessage(int vp, int connectionId, int type, byte[] payload) {}

    private final Map<Integer, Consumer<GuestMessage>> messages = new ConcurrentHashMap<>();
    private final Map<Integer, IntConsumer> events = new ConcurrentHashMap<>();

    public void registerWith(HypercallDispatcher d) {
        d.register(POST_MESSAGE, this::post);
        d.register(SIGNAL_EVENT, this::signal);
    }

    public void onMessage(int connectionId, Consumer<GuestMessage> handler) {
        messages.put(connectionId, handler);
    }

    /** The handler gets the signalling VP's index. */
    public void onEvent(int connectionId, IntConsumer handler) {
        events.put(connectionId, handler);
    }

    /** ConnectionId (u32), reserved (u32), MessageType (u32), PayloadSize (u32), payload (at most 240 bytes). */
    int post(HypercallInput in) {
        if (in.fast()) return HvStatus.INVALID_HYPERCALL_INPUT;
        MemorySegment b = in.slowInput();
        if (b.byteSize() < 16) return HvStatus.INVALID_ALIGNMENT;
        int connection = b.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        int type = b.get(ValueLayout.JAVA_INT_UNALIGNED, 8);
        int size = b.get(ValueLayout.JAVA_INT_UNALIGNED, 12);
        // Types with bit 31 set belong to the hypervisor; a guest may not forge them.
        if (type <= 0 || size < 0 || size > HvMessage.MAX_PAYLOAD) return HvStatus.INVALID_PARAMETER;
        if (b.byteSize() < 16 + size) return HvStatus.INVALID_ALIGNMENT; // the input would cross its page
        Consumer<GuestMessage> h = messages.get(connection);
        if (h == null) return HvStatus.INVALID_CONNECTION_ID;
        h.accept(new GuestMessage(in.vp(), connection, type, b.asSlice(16, size).toArray(ValueLayout.JAVA_BYTE)));
        return HvStatus.SUCCESS;
    }

    /** ConnectionId (u32), FlagNumber (u16), reserved (u16); usually a fast call with the value in RDX. */
    int signal(HypercallInput in) {
        long v = in.fast() ? in.fastIn0() : in.slowInput().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        int flag = (int) ((v >>> 32) & 0xFFFF);
        if ((v >>> 48) != 0 || flag >= Synic.EVENT_FLAGS_PER_SINT) return HvStatus.INVALID_PARAMETER;
        IntConsumer h = events.get((int) v);
        if (h == null) return HvStatus.INVALID_CONNECTION_ID;
        h.accept(in.vp());
        return HvStatus.SUCCESS;
    }
}
