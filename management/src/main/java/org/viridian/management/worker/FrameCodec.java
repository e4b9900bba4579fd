package org.viridian.management.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import org.viridian.management.config.Json;

/**
 * Frames of the worker protocol: a 4-byte big-endian length, then that many bytes of UTF-8 JSON holding one
 * {@link WorkerMessage}. Parsing is strict (the project's mapper: unknown fields, trailing tokens and missing
 * primitives refused) and each record validates itself; a frame longer than {@value #MAX_FRAME} bytes or of length 0
 * breaks the stream (nothing after it can be trusted to be a frame boundary), anything else wrong in a frame refuses
 * just that frame.
 */
public final class FrameCodec {
    public static final int MAX_FRAME = 1 << 20;
    private static final ObjectMapper JSON = Json.mapper();

    private FrameCodec() {}

    /** The frame carrying {@code m}, ready to write. */
    public static ByteBuffer encode(WorkerMessage m) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + m.getClass().getSimpleName(), e);
        }
        if (body.length > MAX_FRAME)
            throw new IllegalArgumentException(
                    m.getClass().getSimpleName() + " is " + body.length + " bytes, over the frame limit");
        ByteBuffer b = ByteBuffer.allocate(4 + body.length);
        b.putInt(body.length).put(body).flip();
        return b;
    }

    /**
     * Reads one frame's body from {@code in} (blocking). EOFException at a clean end between frames, or in the middle
     * of one; ProtocolException (not recoverable) for a length out of range.
     */
    public static byte[] readFrame(ReadableByteChannel in) throws IOException, ProtocolException {
        ByteBuffer len = ByteBuffer.allocate(4);
        readFully(in, len);
        int n = len.flip().getInt();
        checkLength(n);
        ByteBuffer body = ByteBuffer.allocate(n);
        readFully(in, body);
        return body.array();
    }

    /** Parses one frame (length and body) from {@code frame}, which must hold exactly that frame. */
    public static <T extends WorkerMessage> T parseFrame(ByteBuffer frame, Class<T> direction)
            throws ProtocolException {
        if (frame.remaining() < 4) throw new ProtocolException("frame shorter than its length field", false);
        int n = frame.getInt();
        checkLength(n);
        if (frame.remaining() != n)
            throw new ProtocolException("frame length " + n + " but " + frame.remaining() + " bytes follow", false);
        byte[] body = new byte[n];
        frame.get(body);
        return parse(body, direction);
    }

    /** The message in a frame's body, if it is one that {@code direction} (ToWorker or ToService) may carry. */
    public static <T extends WorkerMessage> T parse(byte[] body, Class<T> direction) throws ProtocolException {
        WorkerMessage m;
        try {
            m = JSON.readValue(body, WorkerMessage.class);
        } catch (InvalidTypeIdException e) {
            throw new ProtocolException("unknown message type '" + clip(e.getTypeId()) + "'", true);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException("malformed message: " + firstLine(e), true);
        }
        if (m == null) throw new ProtocolException("malformed message: null", true);
        if (!direction.isInstance(m))
            throw new ProtocolException(m.getClass().getSimpleName() + " does not go in this direction", true);
        return direction.cast(m);
    }

    private static void checkLength(int n) throws ProtocolException {
        if (n <= 0 || n > MAX_FRAME)
            throw new ProtocolException(
                    "frame length " + Integer.toUnsignedString(n) + " out of range (1.." + MAX_FRAME + ")", false);
    }

    private static void readFully(ReadableByteChannel in, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                throw new EOFException(
                        b.position() == 0 ? "the peer closed the connection" : "the peer closed mid-frame");
            }
        }
    }

    private static String firstLine(Throwable e) {
        String s = e.getMessage() == null ? e.toString() : e.getMessage();
        return clip(s.lines().findFirst().orElse(""));
    }

    private static String clip(String s) {
        if (s == null) return "";
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
