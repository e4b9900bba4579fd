package org.viridian.devices.netvsp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two adapters joined back to back by a LoopbackPort pair: a frame one guest sends reaches the other guest. */
class LoopbackPortTest {
    @Test
    void aFrameCrossesFromOnePortToItsPeer() throws Exception {
        LoopbackPort[] pair = LoopbackPort.pair();
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        pair[1].attach(f -> {
            byte[] c = new byte[f.remaining()];
            f.get(c);
            got.add(c);
        });
        byte[] frame = NetVspTest.frame(new byte[] {-1, -1, -1, -1, -1, -1}, 80, 1);
        pair[0].transmit(ByteBuffer.wrap(frame));
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo(frame);
        pair[0].close();
        pair[1].close();
    }

    @Test
    void twoGuestsTalkThroughTheirAdapters() throws Exception {
        LoopbackPort[] pair = LoopbackPort.pair();
        try (NetvscPlayer a = new NetvscPlayer(pair[0], 64, 1500);
                NetvscPlayer b = new NetvscPlayer(pair[1], 64, 1500)) {
            a.up(1500);
            b.up(1500);
            byte[] frame = NetVspTest.frame(new byte[] {-1, -1, -1, -1, -1, -1}, 500, 2);
            assertThat(a.sendInSection(0, frame)).isEqualTo(1);
            NetvscPlayer.Received r = b.receive();
            assertThat(NetvscPlayer.frameOf(r)).isEqualTo(frame);
            b.ack(r);
        } finally {
            pair[0].close();
            pair[1].close();
        }
    }
}
