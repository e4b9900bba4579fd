package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * A guest's offload request (checksum and LSO per-packet information) over arbitrary frame bytes, as NetVSP hands them
 * to {@link TransmitOffloads}. Rules: ProtocolException is the only failure; what is accepted points inside the frame
 * (the checksum field, the headers) and segments no smaller than the minimum MSS; bytes outside the frame are never
 * written.
 */
class TransmitOffloadFuzzTest {
    @FuzzTest
    void prepare(FuzzedDataProvider data) {
        long csum = data.consumeBoolean() ? -1 : Integer.toUnsignedLong(data.consumeInt());
        long lso = data.consumeBoolean() ? -1 : Integer.toUnsignedLong(data.consumeInt());
        int start = data.consumeInt(0, 16), tail = data.consumeInt(0, 16);
        byte[] frame = data.consumeRemainingAsBytes();
        byte[] buffer = new byte[start + frame.length + tail];
        java.util.Arrays.fill(buffer, (byte) 0x5A);
        System.arraycopy(frame, 0, buffer, start, frame.length);
        long o;
        try {
            o = TransmitOffloads.prepare(buffer, start, frame.length, csum, lso);
        } catch (ProtocolException refused) {
            o = TxOffload.NONE;
        }
        for (int i = 0; i < start; i++) assertThat(buffer[i]).isEqualTo((byte) 0x5A);
        for (int i = start + frame.length; i < buffer.length; i++)
            assertThat(buffer[i]).isEqualTo((byte) 0x5A);
        if (o == TxOffload.NONE) return;
        assertThat(TxOffload.csumStart(o) + TxOffload.csumOffset(o) + 2).isLessThanOrEqualTo(frame.length);
        if (TxOffload.gsoType(o) != TxOffload.GSO_NONE) {
            assertThat(TxOffload.headerLength(o)).isBetween(TxOffload.csumStart(o) + 20, frame.length);
            assertThat(TxOffload.gsoSize(o)).isGreaterThanOrEqualTo(TransmitOffloads.MIN_MSS);
        }
    }
}
