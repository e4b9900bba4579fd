package org.viridian.devices.netvsp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One batch of a channel's transmits: the RNDIS bytes of the NVSP packets of a pump pass, copied one after another
 * (up to {@link #MESSAGES} of the largest), and the frames in them that are checked and ready for the port. Reused:
 * a channel has a few and cycles them, so a frame allocates nothing.
 */
final class TxBatch {
    /** The batch holds this many of the largest NVSP packets' RNDIS bytes. */
    static final int MESSAGES = 4;
    /** Frames held per batch; a packet with more ends the batch early. */
    static final int FRAMES = 64;

    final byte[] bytes = new byte[MESSAGES * NetVsp.MAX_MESSAGE];
    /** The RNDIS fields are little-endian. */
    final ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    /** What the port is lent, one frame at a time. */
    private final ByteBuffer frames = ByteBuffer.wrap(bytes);

    private final int[] start = new int[FRAMES], length = new int[FRAMES];
    private final long[] offload = new long[FRAMES];
    private int held;
    /** Where the next NVSP packet's bytes go (the end of the batch's so far). */
    int end;

    boolean full() {
        return held == FRAMES;
    }

    boolean hasRoomForAMessage() {
        return bytes.length - end >= NetVsp.MAX_MESSAGE;
    }

    boolean isEmpty() {
        return held == 0;
    }

    void hold(int at, int frameLength, long frameOffload) {
        start[held] = at;
        length[held] = frameLength;
        offload[held] = frameOffload;
        held++;
    }

    /** Hands the held frames to {@code adapter}'s port, in order, counting each; then the batch is empty. */
    void transmit(NetVsp adapter) {
        for (int i = 0; i < held; i++) {
            frames.limit(start[i] + length[i]).position(start[i]);
            try {
                adapter.port().transmit(frames, offload[i]);
            } catch (RuntimeException e) {
                adapter.count(NetVspCounters.Drop.PORT_ERROR, String.valueOf(e.getMessage()));
                continue;
            }
            adapter.countTx(length[i]);
        }
        clear();
    }

    void clear() {
        held = 0;
        end = 0;
    }
}
