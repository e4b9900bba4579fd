package org.viridian.management.vnc;

import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What an RFB client sends after the handshake (RFC 6143 7.5), one record per message, read and checked before the
 * server acts on any of it.
 */
public sealed interface ClientMessage {
    /** Encodings a client may list: more are refused (the RFC sets no limit; 256 is far beyond any client's list). */
    int MAX_ENCODINGS = 256;
    /** Cut text is read and dropped (the guest has no clipboard channel): longer text is refused. */
    int MAX_CUT_TEXT = 1 << 20;

    int RAW = 0, COPY_RECT = 1, DESKTOP_SIZE = -223;

    record SetPixelFormat(PixelFormat format) implements ClientMessage {}

    record SetEncodings(List<Integer> encodings) implements ClientMessage {
        public SetEncodings {
            encodings = List.copyOf(encodings);
        }
    }

    record FramebufferUpdateRequest(boolean incremental, int x, int y, int width, int height)
            implements ClientMessage {}

    /** A key going down or up, named by its X keysym. */
    record KeyEvent(boolean down, int keysym) implements ClientMessage {}

    /** Buttons 1-8 as bits (1 left, 2 middle, 3 right, 4/5 wheel up/down) and a position in pixels. */
    record PointerEvent(int buttonMask, int x, int y) implements ClientMessage {}

    record ClientCutText(int length) implements ClientMessage {}

    /** The next message; an unknown type or a field out of range is refused (RfbProtocolException). */
    static ClientMessage read(DataInput in) throws IOException {
        int type = in.readUnsignedByte();
        return switch (type) {
            case 0 -> {
                in.skipBytes(3);
                yield new SetPixelFormat(PixelFormat.read(in));
            }
            case 2 -> {
                in.skipBytes(1);
                int n = in.readUnsignedShort();
                if (n > MAX_ENCODINGS) throw new RfbProtocolException(n + " encodings");
                List<Integer> e = new ArrayList<>(n);
                for (int i = 0; i < n; i++) e.add(in.readInt());
                yield new SetEncodings(e);
            }
            case 3 ->
                new FramebufferUpdateRequest(
                        in.readUnsignedByte() != 0,
                        in.readUnsignedShort(),
                        in.readUnsignedShort(),
                        in.readUnsignedShort(),
                        in.readUnsignedShort());
            case 4 -> {
                boolean down = in.readUnsignedByte() != 0;
                in.skipBytes(2);
                yield new KeyEvent(down, in.readInt());
            }
            case 5 -> new PointerEvent(in.readUnsignedByte(), in.readUnsignedShort(), in.readUnsignedShort());
            case 6 -> {
                in.skipBytes(3);
                int length = in.readInt();
                if (length < 0 || length > MAX_CUT_TEXT) throw new RfbProtocolException("cut text of " + length);
                for (int left = length; left > 0; ) {
                    int skipped = in.skipBytes(left);
                    if (skipped <= 0) {
                        in.readByte(); // EOF surfaces here
                        skipped = 1;
                    }
                    left -= skipped;
                }
                yield new ClientCutText(length);
            }
            default -> throw new RfbProtocolException("message type " + type);
        };
    }
}
