package org.viridian.devices.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bucket on a stepped clock: what it lets through per simulated second, before and after its rates change. */
class TokenBucketTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    /** Operations of {@code size} bytes let through in one simulated second, offered every millisecond. */
    private int perSecond(TokenBucket b, long size) {
        int n = 0;
        for (int ms = 0; ms < 1000; ms++) {
            now.addAndGet(1_000_000);
            while (b.tryAcquire(size)) n++;
        }
        return n;
    }

    @Test
    void changedRatesHoldFromTheNextOperation() {
        TokenBucket b = new TokenBucket(new TokenBucket.Limits(100, 0), now::get);
        perSecond(b, 512); // spends the one-second burst
        assertThat(perSecond(b, 512)).isBetween(99, 101);

        b.setLimits(new TokenBucket.Limits(10, 0));
        assertThat(perSecond(b, 512))
                .as("the saved tokens are capped at the new second")
                .isBetween(10, 21);
        assertThat(perSecond(b, 512)).isBetween(9, 11);

        b.setLimits(new TokenBucket.Limits(0, 64 * 1024));
        assertThat(b.limits()).isEqualTo(new TokenBucket.Limits(0, 64 * 1024));
        perSecond(b, 4096);
        assertThat(perSecond(b, 4096)).as("64 KiB/s in 4 KiB operations").isBetween(15, 17);

        b.setLimits(TokenBucket.Limits.NONE);
        assertThat(b.limited()).isFalse();
        for (int i = 0; i < 100_000; i++) assertThat(b.tryAcquire(1 << 20)).isTrue();

        b.setLimits(new TokenBucket.Limits(5, 0));
        assertThat(perSecond(b, 512))
                .as("a budget that was unlimited starts full")
                .isBetween(9, 11);
    }

    @Test
    void aWaitingRequestGoesOnceItsLimitIsLifted() throws Exception {
        TokenBucket b = new TokenBucket(new TokenBucket.Limits(1, 0), now::get);
        assertThat(b.tryAcquire(512)).isTrue();
        // The clock stands still: at 1 IOPS this request would wait for ever.
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                b.acquire(512);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.join(200);
        assertThat(waiter.isAlive()).isTrue();
        b.setLimits(TokenBucket.Limits.NONE);
        waiter.join(10_000);
        assertThat(waiter.isAlive()).isFalse();
    }

    @Test
    void negativeLimitsAreRefused() {
        assertThatThrownBy(() -> new TokenBucket.Limits(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
