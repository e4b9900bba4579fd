package org.viridian.devices.ic.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * Version negotiation (struct icmsg_negotiate): framework and message version counts, then the versions ({u16 major,
 * u16 minor} each), framework first. The host offers lists; the guest answers with one of each it supports, or with
 * counts of 0 when it supports none.
 */
public record NegotiateBody(int[] frameworkVersions, int[] messageVersions) implements IcBody {
    /** At most this many versions of each kind (as Linux accepts). */
    public static final int MAX_VERSIONS = 100;
    /** An answer always carries room for one framework and one message version. */
    static final int FIXED = 8, MIN_ANSWER = FIXED + 8;

    public static NegotiateBody parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, MIN_ANSWER, "IC negotiation");
        int fw = Short.toUnsignedInt(m.getShort(0)), msg = Short.toUnsignedInt(m.getShort(2));
        if (fw > MAX_VERSIONS || msg > MAX_VERSIONS || FIXED + 4 * (fw + msg) > size) {
            throw new ProtocolException("IC negotiation lists " + fw + " + " + msg + " versions in " + size + " bytes");
        }
        int[] all = new int[fw + msg];
        for (int i = 0; i < all.length; i++) all[i] = IcHeader.version(m, FIXED + 4 * i);
        return new NegotiateBody(Arrays.copyOf(all, fw), Arrays.copyOfRange(all, fw, all.length));
    }

    /** The guest's choice {framework, message}, or null when it names no single pair (no common version). */
    public int[] chosen() {
        return frameworkVersions.length == 1 && messageVersions.length == 1
                ? new int[] {frameworkVersions[0], messageVersions[0]}
                : null;
    }

    @Override
    public byte[] toBytes() {
        // Never shorter than MIN_ANSWER: an answer with no common version (counts 0) still carries the room, as Linux's
        // does, and parse requires it (the round-trip fuzz target found the 8-byte form).
        ByteBuffer b =
                Wire.allocate(Math.max(MIN_ANSWER, FIXED + 4 * (frameworkVersions.length + messageVersions.length)));
        b.putShort(0, (short) frameworkVersions.length).putShort(2, (short) messageVersions.length);
        int i = FIXED;
        for (int[] list : new int[][] {frameworkVersions, messageVersions}) {
            for (int v : list) {
                b.putShort(i, (short) (v >>> 16)).putShort(i + 2, (short) v);
                i += 4;
            }
        }
        return b.array();
    }
}
