package org.viridian.management.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;

/**
 * The worker protocol's frame parser on arbitrary bytes, both directions (the worker reads the service's frames, the
 * service the worker's). Rule: a ProtocolException or a message; a message parsed encodes to a frame that parses to
 * an equal one (byte arrays aside, compared by their encoding).
 */
class WorkerFrameFuzzTest {
    @FuzzTest
    void frames(FuzzedDataProvider data) {
        boolean toWorker = data.consumeBoolean();
        boolean raw = data.consumeBoolean();
        byte[] bytes = data.consumeRemainingAsBytes();
        Class<? extends WorkerMessage> direction =
                toWorker ? WorkerMessage.ToWorker.class : WorkerMessage.ToService.class;
        // Raw: the whole frame as it comes off the socket; else a well-framed body, to reach the JSON parser quickly.
        ByteBuffer frame = raw
                ? ByteBuffer.wrap(bytes)
                : ByteBuffer.allocate(4 + bytes.length)
                        .putInt(bytes.length)
                        .put(bytes)
                        .flip();
        WorkerMessage m;
        try {
            m = FrameCodec.parseFrame(frame, direction);
        } catch (ProtocolException refused) {
            return;
        }
        ByteBuffer again = FrameCodec.encode(m);
        try {
            WorkerMessage back = FrameCodec.parseFrame(again.duplicate(), direction);
            assertThat(FrameCodec.encode(back)).isEqualTo(again);
        } catch (ProtocolException e) {
            throw new AssertionError("re-encoded " + m.getClass().getSimpleName() + " refused: " + e.getMessage());
        }
    }
}
