package org.viridian.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The TCP counters the bench reports, from this host's /proc/net and from a guest's console lines. */
class TcpCountersTest {
    @Test
    void thisHostsCountersParseAndOnlyGrow() {
        TcpCounters before = TcpCounters.host();
        assertThat(before.values()).containsKeys("Tcp.RetransSegs", "Tcp.OutSegs", "TcpExt.TCPTimeouts");
        TcpCounters grown = TcpCounters.host().since(before);
        assertThat(grown.values().get("Tcp.OutSegs")).isNotNegative();
        assertThat(grown.summary())
                .startsWith("OutSegs ")
                .contains(" RetransSegs ")
                .contains(" TCPTimeouts ");
    }

    @Test
    void aGuestsConsoleLinesGiveItsCounters() {
        String console =
                """
                [   12.0] noise
                NETSNMP Tcp: RtoAlgorithm RtoMin OutSegs RetransSegs InCsumErrors
                NETSNMP Tcp: 1 200 1734 7 0
                other line
                NETSNMP TcpExt: SyncookiesSent TCPTimeouts TCPLossProbes
                NETSNMP TcpExt: 0 3 1
                """;
        TcpCounters c = TcpCounters.fromConsole(console);
        assertThat(c.values())
                .containsEntry("Tcp.OutSegs", 1734L)
                .containsEntry("Tcp.RetransSegs", 7L)
                .containsEntry("TcpExt.TCPTimeouts", 3L);
        assertThat(c.summary()).isEqualTo("OutSegs 1734 RetransSegs 7 TCPTimeouts 3 TCPLossProbes 1 InCsumErrors 0");
        assertThat(TcpCounters.fromConsole("nothing here").summary()).isEqualTo("none");
    }
}
