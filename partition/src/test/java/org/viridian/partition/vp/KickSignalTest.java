package org.viridian.partition.vp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.viridian.kvm.sys.Libc;

/** The kick signal's plumbing (no KVM needed): a VP thread that blocked it survives kicks and can consume them. */
class KickSignalTest {
    @Test
    void aBlockedKickStaysPendingUntilConsumed() throws Exception {
        AtomicInteger tid = new AtomicInteger();
        AtomicBoolean consumed = new AtomicBoolean(), again = new AtomicBoolean(true);
        Object go = new Object();
        Thread t = Thread.ofPlatform().start(() -> {
            Libc.blockSignal(VirtualProcessor.KICK_SIGNAL);
            tid.set(Libc.gettid());
            synchronized (go) {
                go.notifyAll();
                try {
                    go.wait(5000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            consumed.set(Libc.consumePendingSignal(VirtualProcessor.KICK_SIGNAL));
            again.set(Libc.consumePendingSignal(VirtualProcessor.KICK_SIGNAL));
            Libc.tgkill(Libc.gettid(), VirtualProcessor.KICK_SIGNAL); // pending at thread end would kill the JVM ...
            while (Libc.consumePendingSignal(VirtualProcessor.KICK_SIGNAL)) {} // ... unless drained, as VPs do
        });
        synchronized (go) {
            while (tid.get() == 0) go.wait(100);
            Libc.tgkill(tid.get(), VirtualProcessor.KICK_SIGNAL);
            go.notifyAll();
        }
        t.join();
        assertThat(consumed).isTrue();
        assertThat(again).isFalse();
    }
}
