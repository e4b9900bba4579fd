package org.viridian.management.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.viridian.management.cluster.QuorumProbe.Answer;
import org.viridian.management.cluster.QuorumProbe.Verdict;

/** The fence deadline, and what proves that no quorum exists. */
class LeaseTest {
    private static final long MS = 1_000_000;

    @Test
    void theFenceFallsAtThreeQuartersOfTheTimeoutAfterTheLastAcknowledgedSend() {
        Lease l = new Lease(Duration.ofMillis(4000), 0);
        l.bind(7, Long.MIN_VALUE);
        l.acked(1000 * MS, 7);
        assertThat(l.expired(3999 * MS)).isFalse();
        assertThat(l.expired(4001 * MS)).isTrue();
        // an acknowledgement in another session (not the one holding the owner nodes) renews nothing
        l.acked(3500 * MS, 8);
        assertThat(l.expired(4001 * MS)).isTrue();
        l.bind(8, 3500 * MS);
        assertThat(l.expired(4001 * MS)).isFalse();
    }

    @Test
    void proofOfNoQuorumRenewsTheLease() {
        Lease l = new Lease(Duration.ofMillis(4000), 0);
        l.bind(1, Long.MIN_VALUE);
        l.noQuorum(2000 * MS);
        assertThat(l.expired(4500 * MS)).isFalse();
        assertThat(l.renewedByProbe()).isTrue();
        assertThat(l.expired(5001 * MS)).isTrue();
    }

    @Test
    void onlyAMajorityDownOrNotServingProvesNoQuorum() {
        assertThat(new Verdict(List.of(Answer.DOWN, Answer.NOT_SERVING, Answer.SERVING)).noQuorum())
                .isTrue();
        assertThat(new Verdict(List.of(Answer.DOWN, Answer.SERVING, Answer.SERVING)).noQuorum())
                .isFalse();
        // silence proves nothing: a partition that drops packets looks like this
        assertThat(new Verdict(List.of(Answer.NO_ANSWER, Answer.NO_ANSWER, Answer.DOWN)).noQuorum())
                .isFalse();
        assertThat(new Verdict(List.of(Answer.DOWN, Answer.DOWN, Answer.NOT_SERVING, Answer.SERVING, Answer.SERVING))
                        .noQuorum())
                .isTrue();
    }
}
