package org.viridian.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two iperf3 tests of `viridian bench netvsp`, one command line for every side (guests, the veth baseline), and
 * what their JSON reports mean: TCP throughput as the receiver counted it, and small-packet rate as UDP datagrams of
 * 64 bytes sent at no rate limit and counted by the receiver (what arrived, not what was sent).
 */
final class Iperf3 {
    static final int UDP_PAYLOAD = 64;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A guest's report on its console: "NETBENCH tcp {json…}" on one line (see {@link NetGuest}). */
    private static final Pattern REPORT = Pattern.compile("^NETBENCH (tcp|udp) (\\{.*)$", Pattern.MULTILINE);

    /**
     * What one side measured: TCP bits/s and 64-byte UDP packets/s, both as received; the TCP sender's retransmitted
     * segments as iperf3 counted them (-1: not reported) and the sending guest's TCP counters after both tests (empty
     * when it printed none).
     */
    record Figures(
            double tcpBitsPerSecond,
            double udpPacketsPerSecond,
            long tcpRetransmits,
            TcpCounters guest,
            String tcpSender) {
        Figures(double tcpBitsPerSecond, double udpPacketsPerSecond) {
            this(tcpBitsPerSecond, udpPacketsPerSecond, -1, new TcpCounters(java.util.Map.of()), "");
        }
    }

    /**
     * What the TCP sender's kernel saw (iperf3's per-stream sender figures from TCP_INFO, and both ends' CPU use): a
     * congestion window that never grew or a round trip far above the path's says where the time goes.
     */
    static String tcpSender(String json) throws IOException {
        JsonNode end = end(json);
        JsonNode sender = end.path("streams").path(0).path("sender");
        JsonNode cpu = end.path("cpu_utilization_percent");
        return "cwnd max %d B, rtt mean %d us max %d us, cpu sender %.0f%% receiver %.0f%%"
                .formatted(
                        sender.path("max_snd_cwnd").asLong(-1),
                        sender.path("mean_rtt").asLong(-1),
                        sender.path("max_rtt").asLong(-1),
                        cpu.path("host_total").asDouble(-1),
                        cpu.path("remote_total").asDouble(-1));
    }

    private Iperf3() {}

    /** The client's arguments after "iperf3 -c SERVER" for the TCP test: JSON, no interval reports. */
    static List<String> tcp(int seconds) {
        return List.of("-t", Integer.toString(seconds), "-J", "-i", "0");
    }

    /** The same for the small-packet test: UDP, 64-byte payloads, unlimited rate. */
    static List<String> udp(int seconds) {
        return List.of(
                "-u", "-l", Integer.toString(UDP_PAYLOAD), "-b", "0", "-t", Integer.toString(seconds), "-J", "-i", "0");
    }

    /** Bits per second the receiver counted in a TCP client's JSON. */
    static double tcpBitsPerSecond(String json) throws IOException {
        JsonNode received = end(json).path("sum_received");
        double bps = received.path("bits_per_second").asDouble(-1);
        if (bps < 0) throw new IOException("iperf3 TCP report without end.sum_received.bits_per_second: " + json);
        return bps;
    }

    /** Segments the TCP sender retransmitted (iperf3's end.sum_sent.retransmits; -1 when it has none, not Linux). */
    static long tcpRetransmits(String json) throws IOException {
        return end(json).path("sum_sent").path("retransmits").asLong(-1);
    }

    /**
     * Datagrams per second the server received in a UDP client's JSON (the server sends its counts back): sent minus
     * lost, over the test's length.
     */
    static double udpPacketsPerSecond(String json) throws IOException {
        JsonNode end = end(json);
        JsonNode sum = end.has("sum_received") ? end.path("sum_received") : end.path("sum");
        long packets = sum.path("packets").asLong(-1),
                lost = sum.path("lost_packets").asLong(-1);
        double seconds = sum.path("seconds").asDouble(0);
        if (packets < 0 || lost < 0 || lost > packets || seconds <= 0)
            throw new IOException("iperf3 UDP report without packets, lost_packets and seconds: " + json);
        return (packets - lost) / seconds;
    }

    /** The figures a guest printed on its console. */
    static Figures fromConsole(String console) throws IOException {
        String tcp = null, udp = null;
        Matcher m = REPORT.matcher(console.replace("\r", ""));
        while (m.find()) {
            if (m.group(1).equals("tcp")) tcp = m.group(2);
            else udp = m.group(2);
        }
        if (tcp == null || udp == null) throw new IOException("the guest reported no iperf3 results");
        return new Figures(
                tcpBitsPerSecond(tcp),
                udpPacketsPerSecond(udp),
                tcpRetransmits(tcp),
                TcpCounters.fromConsole(console),
                tcpSender(tcp));
    }

    private static JsonNode end(String json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root.has("error"))
            throw new IOException("iperf3: " + root.path("error").asText());
        return root.path("end");
    }
}
