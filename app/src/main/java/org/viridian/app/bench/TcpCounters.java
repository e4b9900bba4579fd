package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TCP counters of a Linux network stack that tell a stalling TCP from a slow one: segments retransmitted,
 * retransmission timeouts, tail-loss probes, segments refused for bad checksums. Read from /proc/net/snmp and
 * /proc/net/netstat (pairs of lines, "Tcp: Name1 Name2 …" then "Tcp: 1 2 …"), the host's own or a guest's as its
 * console printed them ({@link NetGuest}: each line prefixed "NETSNMP ").
 */
record TcpCounters(Map<String, Long> values) {
    /** What the bench reports, in this order: the sender's retransmits and their causes, the receiver's refusals. */
    static final List<String> SHOWN = List.of(
            "Tcp.OutSegs",
            "Tcp.RetransSegs",
            "TcpExt.TCPTimeouts",
            "TcpExt.TCPLossProbes",
            "Tcp.InErrs",
            "Tcp.InCsumErrors");

    static final String CONSOLE_PREFIX = "NETSNMP ";

    TcpCounters {
        values = Map.copyOf(values);
    }

    /** Counters from text in the /proc/net/snmp format (a header line, then its values under the same prefix). */
    static TcpCounters parse(String text) {
        Map<String, Long> out = new LinkedHashMap<>();
        String[] header = null;
        for (String line : text.replace("\r", "").split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 2 || !f[0].endsWith(":")) {
                header = null;
                continue;
            }
            if (header != null && header[0].equals(f[0]) && header.length == f.length && isNumber(f[1])) {
                String group = f[0].substring(0, f[0].length() - 1);
                for (int i = 1; i < f.length; i++)
                    if (isNumber(f[i])) out.put(group + "." + header[i], Long.parseLong(f[i]));
                header = null;
            } else {
                header = f;
            }
        }
        return new TcpCounters(out);
    }

    /** The counters a guest's console printed (lines "NETSNMP …"); empty when it printed none. */
    static TcpCounters fromConsole(String console) {
        StringBuilder b = new StringBuilder();
        for (String line : console.replace("\r", "").split("\n")) {
            int at = line.indexOf(CONSOLE_PREFIX);
            if (at >= 0) b.append(line.substring(at + CONSOLE_PREFIX.length())).append('\n');
        }
        return parse(b.toString());
    }

    /** This host's counters now (empty when /proc/net is not readable). */
    static TcpCounters host() {
        StringBuilder b = new StringBuilder();
        for (String f : List.of("/proc/net/snmp", "/proc/net/netstat")) {
            try {
                b.append(Files.readString(Path.of(f))).append('\n');
            } catch (IOException e) {
                // a host without the file reports no counters
            }
        }
        return parse(b.toString());
    }

    /** What grew since {@code before}. */
    TcpCounters since(TcpCounters before) {
        Map<String, Long> d = new LinkedHashMap<>();
        values.forEach((k, v) -> d.put(k, v - before.values.getOrDefault(k, 0L)));
        return new TcpCounters(d);
    }

    /** The {@link #SHOWN} counters as "RetransSegs 12 TCPTimeouts 3 …" ("none" when there are none). */
    String summary() {
        StringBuilder b = new StringBuilder();
        for (String k : SHOWN) {
            Long v = values.get(k);
            if (v != null)
                b.append(b.isEmpty() ? "" : " ")
                        .append(k.substring(k.indexOf('.') + 1))
                        .append(' ')
                        .append(v);
        }
        return b.isEmpty() ? "none" : b.toString();
    }

    private static boolean isNumber(String s) {
        return s.matches("-?\\d+");
    }
}
