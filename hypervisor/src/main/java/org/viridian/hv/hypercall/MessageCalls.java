package org.viridian.hv.hypercall;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.viridian.hv.HvProtocolException;

/**
 * HvPostMessage and HvSignalEvent: the guest-to-host half of the SynIC, routed by connection id to the host's
 * handlers (VMBus registers its connections here). Handlers run on the calling VP's thread and must not block.
 */
public final class MessageCalls {
    public static final int POST_MESSAGE = 0x005C, SIGNAL_EVENT = 0x005D;

    /** A message the guest posted. */
    public record GuestMessage(int vp, int connectionId, int type, byte[] payload) {}

    /** What a connection does with a posted message; answers the hypercall's status (HvStatus). */
    @FunctionalInterface
    public interface MessageHandler {
        int accept(GuestMessage m);
    }

    /**
     * Where fast HvSignalEvent calls can be answered without the calling VP (see SignalDoorbells): a connection
     * registered there rings its handler on another thread, with no exit to user space.
     */
    public interface Doorbells {
        /** False where the host cannot: the connection's signals then come through the hypercall as before. */
        boolean connect(int connectionId, Runnable handler);

        void disconnect(int connectionId);
    }

    private static final Doorbells NO_DOORBELLS = new Doorbells() {
        @Override
        public boolean connect(int connectionId, Runnable handler) {
            return false;
        }

        @Override
        public void disconnect(int connectionId) {}
    };

    private volatile Doorbells doorbells = NO_DOORBELLS;

    /** Answers channel connections' fast signals through {@code d} from now on (see {@link #onChannelEvent}). */
    public void useDoorbells(Doorbells d) {
        doorbells = d;
    }

    private final Map<Integer, MessageHandler> messages = new ConcurrentHashMap<>();
    private final Map<Integer, IntConsumer> events = new ConcurrentHashMap<>();

    public void registerWith(HypercallDispatcher d) {
        d.register(POST_MESSAGE, this::post);
        d.register(SIGNAL_EVENT, this::signal);
    }

    public void onMessage(int connectionId, Consumer<GuestMessage> handler) {
        messages.put(connectionId, m -> {
            handler.accept(m);
            return HvStatus.SUCCESS;
        });
    }

    /** Connects a message handler the guest may add and remove (a test device); false if the id is taken. */
    public boolean addMessageConnection(int connectionId, MessageHandler handler) {
        return messages.putIfAbsent(connectionId, handler) == null;
    }

    /** Removes that handler; false when the id is not connected to it (another owner's connection stays). */
    public boolean removeMessageConnection(int connectionId, MessageHandler handler) {
        return messages.remove(connectionId, handler);
    }

    /** {@link #addMessageConnection} for events. */
    public boolean addEventConnection(int connectionId, IntConsumer handler) {
        return events.putIfAbsent(connectionId, handler) == null;
    }

    public boolean removeEventConnection(int connectionId, IntConsumer handler) {
        return events.remove(connectionId, handler);
    }

    /** The handler gets the signalling VP's index. */
    public void onEvent(int connectionId, IntConsumer handler) {
        events.put(connectionId, handler);
    }

    /**
     * {@link #onEvent} for a connection whose handler does not care which VP signalled (a VMBus channel: it only reads
     * its ring): its fast signals may also come through a doorbell, on a thread of the host's, with VP index -1.
     */
    public void onChannelEvent(int connectionId, IntConsumer handler) {
        events.put(connectionId, handler);
        doorbells.connect(connectionId, () -> handler.accept(-1));
    }

    /** The connection is gone (a rescinded VMBus channel the guest released): its signals are refused again. */
    public void removeEvent(int connectionId) {
        doorbells.disconnect(connectionId);
        events.remove(connectionId);
    }

    /** HvPostMessage: the input block names the connection; the payload goes to its handler. */
    int post(HypercallInput in) {
        if (in.fast()) return HvStatus.INVALID_HYPERCALL_INPUT;
        PostMessageInput m;
        try {
            m = PostMessageInput.parse(
                    buffer(in.slowInput()), (int) in.slowInput().byteSize());
        } catch (HvProtocolException e) {
            return e.status();
        }
        MessageHandler h = messages.get(m.connectionId());
        if (h == null) return HvStatus.INVALID_CONNECTION_ID;
        return h.accept(new GuestMessage(in.vp(), m.connectionId(), m.messageType(), m.payload()));
    }

    /** HvSignalEvent: usually a fast call with the input in RDX. */
    int signal(HypercallInput in) {
        SignalEventInput e;
        try {
            e = in.fast()
                    ? SignalEventInput.of(in.fastIn0())
                    : SignalEventInput.parse(
                            buffer(in.slowInput()), (int) in.slowInput().byteSize());
        } catch (HvProtocolException x) {
            return x.status();
        }
        IntConsumer h = events.get(e.connectionId());
        if (h == null) return HvStatus.INVALID_CONNECTION_ID;
        h.accept(in.vp());
        return HvStatus.SUCCESS;
    }

    private static ByteBuffer buffer(MemorySegment input) {
        return input.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
