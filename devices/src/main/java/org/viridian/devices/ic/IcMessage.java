package org.viridian.devices.ic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Integration-component messages (the "ICMSG" framing every integration service uses inside VMBus in-band packets):
 * an 8-byte pipe header (flags, message size), a 20-byte IC header (framework version, message type, message
 * version, message size, status, transaction id, flags), then the body. Version negotiation bodies list framework
 * versions, then message versions (u16 major, u16 minor each); the guest answers with one of each it supports.
 */
final class IcMessage {
    static final int PIPE = 8, HEADER = PIPE + 20;
    static final int TYPE_NEGOTIATE = 0, TYPE_HEARTBEAT = 1;
    static final int FLAG_TRANSACTION = 1, FLAG_REQUEST = 2, FLAG_RESPONSE = 4;
    /** At most this many versions of each kind in a negotiation (as Linux accepts). */
    static final int MAX_VERSIONS = 100;

    record Parsed(int type, int flags, int status, int transaction, ByteBuffer body) {}

    private IcMessage() {}

    /** A request from the host: framework 1.0 in the header, as Hyper-V sends before the framework is negotiated. */
    static byte[] request(int type, int msgVersion, int transaction, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0).putInt(4, 20 + body.length);
        b.putShort(PIPE, (short) 1).putShort(PIPE + 2, (short) 0).putShort(PIPE + 4, (short) type)
                .putShort(PIPE + 6, (short) (msgVersion >>> 16)).putShort(PIPE + 8, (short) msgVersion)
                .putShort(PIPE + 10, (short) body.length).putInt(PIPE + 12, 0)
                .put(PIPE + 16, (byte) transaction).put(PIPE + 17, (byte) (FLAG_TRANSACTION | FLAG_REQUEST));
        b.put(HEADER, body);
        return b.array();
    }

    /** The guest's answer; throws IllegalArgumentException for anything malformed (the caller drops it). */
    static Parsed parse(byte[] data) {
        if (data.length < HEADER) throw new IllegalArgumentException("IC message of " + data.length + " bytes");
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return new Parsed(Short.toUnsignedInt(b.getShort(PIPE + 4)), b.get(PIPE + 17) & 0xFF, b.getInt(PIPE + 12),
                b.get(PIPE + 16) & 0xFF,
                b.slice(HEADER, data.length - HEADER).order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Negotiation body offering the given versions (major << 16 | minor), newest first. */
    static byte[] negotiate(int[] framework, int[] message) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * (framework.length + message.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) framework.length).putShort(2, (short) message.length);
        int at = 8;
        for (int[] list : new int[][] {framework, message}) {
            for (int v : list) {
                b.putShort(at, (short) (v >>> 16)).putShort(at + 2, (short) v);
                at += 4;
            }
        }
        return b.array();
    }

    /** The versions the guest chose: {framework, message}, or null when it supports none of those offered. */
    static int[] negotiated(ByteBuffer body) {
        if (body.limit() < 16) throw new IllegalArgumentException("negotiation answer of " + body.limit() + " bytes");
        int fw = Short.toUnsignedInt(body.getShort(0)), msg = Short.toUnsignedInt(body.getShort(2));
        if (fw != 1 || msg != 1) return null;
        return new int[] {Short.toUnsignedInt(body.getShort(8)) << 16 | Short.toUnsignedInt(body.getShort(10)),
                Short.toUnsignedInt(body.getShort(12)) << 16 | Short.toUnsignedInt(body.getShort(14))};
    }
}
