package org.viridian.devices.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.viridian.testkit.RecordValues.sameValue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.viridian.devices.netvsp.protocol.RndisMessage;
import org.viridian.devices.netvsp.protocol.RndisMessageType;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The RNDIS wire records (org.viridian.devices.netvsp.protocol.RndisMessage) from arbitrary bytes, as NetVSP reads
 * them out of a send section (the message's own length decides where it ends; more bytes may follow). Rules:
 * ProtocolException is the only failure; a message never claims more than the bytes given; a packet's data and
 * per-packet information lie inside it, with the u32 values of the types NetVSP reads (checksum, LSO, VLAN) whole;
 * whatever parses writes back to bytes that parse to an equal record.
 */
class RndisFuzzTest {
    private static final RndisMessageType[] TYPES = RndisMessageType.values();

    @FuzzTest
    void parseAndWriteBack(FuzzedDataProvider data) {
        boolean force = data.consumeBoolean();
        int type = TYPES[data.consumeInt(0, TYPES.length - 1)].code();
        int pad = data.consumeInt(0, 8);
        int ppiType = data.consumeInt(0, 12);
        byte[] message = data.consumeRemainingAsBytes();
        byte[] wire = new byte[pad + message.length];
        System.arraycopy(message, 0, wire, pad, message.length);
        ByteBuffer b = ByteBuffer.wrap(wire).order(ByteOrder.LITTLE_ENDIAN);
        if (force && message.length >= 4) b.putInt(pad, type);
        b.position(pad);
        RndisMessage m;
        try {
            m = RndisMessage.parse(b, message.length);
        } catch (ProtocolException declared) {
            return;
        }
        assertThat(b.position()).isEqualTo(pad);
        assertThat(m.size()).isBetween(RndisMessage.HEADER, message.length);
        byte[] written;
        if (m instanceof RndisMessage.Packet p) {
            assertThat((long) p.frameAt() + Integer.toUnsignedLong(p.dataLength()))
                    .isLessThanOrEqualTo(p.size());
            int at = p.ppiValueAt(b, pad, ppiType);
            assertThat(at).isBetween(-1, pad + p.size());
            boolean u32 = ppiType == RndisMessage.Packet.PPI_CHECKSUM
                    || ppiType == RndisMessage.Packet.PPI_LSO
                    || ppiType == RndisMessage.Packet.PPI_VLAN;
            if (u32 && at >= 0)
                assertThat(at + 4).as("the u32 value NetVSP reads").isLessThanOrEqualTo(pad + p.size());
            // A packet writes its header and struct only: over its own bytes, the frame and information stay.
            written = java.util.Arrays.copyOf(message, p.size());
            p.writeTo(ByteBuffer.wrap(written));
        } else {
            written = m.toBytes();
            assertThat(written).hasSize(m.size());
        }
        RndisMessage again;
        try {
            again = RndisMessage.parse(ByteBuffer.wrap(written), written.length);
        } catch (ProtocolException e) {
            throw new AssertionError(m + " writes bytes that do not parse: " + e.getMessage(), e);
        }
        assertThat(sameValue(m, again)).as("%s round-trips, got %s", m, again).isTrue();
    }
}
