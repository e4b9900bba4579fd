package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.viridian.devices.netvsp.protocol.OffloadParameters;
import org.viridian.devices.netvsp.protocol.ReceiveScaleParameters;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The guest's OID_GEN_RECEIVE_SCALE_PARAMETERS and OID_TCP_OFFLOAD_PARAMETERS values from arbitrary bytes, and the
 * receive queue an arbitrary frame then gets. Rules: ProtocolException is the only failure; an accepted table has at
 * most 128 entries and a key at most 40 bytes; the queue is always one of those in use.
 */
class ReceiveScalingFuzzTest {
    @FuzzTest
    void parseAndPickAQueue(FuzzedDataProvider data) {
        int queues = data.consumeInt(1, NetVsp.MAX_QUEUES);
        byte[] frame = data.consumeBytes(data.consumeInt(0, 200));
        byte[] value = data.consumeRemainingAsBytes();
        try {
            OffloadParameters.parse(value);
        } catch (ProtocolException ignored) {
            // refused: the guest gets INVALID_DATA
        }
        ReceiveScaleParameters p;
        try {
            p = ReceiveScaleParameters.parse(value);
        } catch (ProtocolException refused) {
            return;
        }
        if (p.table() != null) assertThat(p.table().length).isLessThanOrEqualTo(128);
        if (p.key() != null) assertThat(p.key().length).isLessThanOrEqualTo(40);
        ReceiveScaling rss = ReceiveScaling.OFF.with(p);
        assertThat(rss.key()).hasSize(Toeplitz.KEY_SIZE);
        assertThat(rss.queue(frame, 0, frame.length, queues)).isBetween(0, queues - 1);
    }
}
