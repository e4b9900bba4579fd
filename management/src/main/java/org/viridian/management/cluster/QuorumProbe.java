package org.viridian.management.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Asks each ensemble member whether it serves, with ZooKeeper's "srvr" four-letter word: a member that answers "not
 * currently serving requests" is in no quorum, and one that refuses the connection runs no server. When a majority of
 * the members is one or the other, no quorum exists now, so nobody can expire this host's session now; and a quorum
 * that forms later restarts every session's timeout from its start. That is the proof that lets a host cut off from
 * an ensemble that is down entirely keep its VMs running. A member that does not answer in time proves nothing: a
 * partition that drops packets (rather than rejecting them) never counts as the ensemble being down.
 */
public final class QuorumProbe {
    private QuorumProbe() {}

    /** What one member said. */
    public enum Answer {
        SERVING,
        NOT_SERVING,
        DOWN,
        NO_ANSWER
    }

    /** The members' answers; {@link #noQuorum} when a majority is down or not serving. */
    public record Verdict(List<Answer> answers) {
        public boolean noQuorum() {
            long out = answers.stream()
                    .filter(a -> a == Answer.DOWN || a == Answer.NOT_SERVING)
                    .count();
            int majority = answers.size() / 2 + 1;
            return answers.size() - out < majority;
        }
    }

    public static Verdict probe(List<InetSocketAddress> members, Duration timeout) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Answer>> asked = new ArrayList<>();
            for (InetSocketAddress m : members) asked.add(pool.submit((Callable<Answer>) () -> ask(m, timeout)));
            List<Answer> out = new ArrayList<>();
            for (Future<Answer> f : asked) {
                try {
                    out.add(f.get());
                } catch (Exception e) {
                    out.add(Answer.NO_ANSWER);
                }
            }
            return new Verdict(out);
        }
    }

    static Answer ask(InetSocketAddress member, Duration timeout) {
        int ms = (int) Math.max(1, timeout.toMillis());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(member.getHostString(), member.getPort()), ms);
            s.setSoTimeout(ms);
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String said = new String(readUpTo(s.getInputStream(), 4096), StandardCharsets.US_ASCII);
            if (said.contains("not currently serving")) return Answer.NOT_SERVING;
            if (said.contains("Mode:")) return Answer.SERVING;
            // Some other answer (srvr not allowed by 4lw.commands.whitelist): alive, state unknown.
            return Answer.NO_ANSWER;
        } catch (ConnectException e) {
            return e.getMessage() != null && e.getMessage().contains("refused") ? Answer.DOWN : Answer.NO_ANSWER;
        } catch (IOException | RuntimeException e) {
            return Answer.NO_ANSWER;
        }
    }

    private static byte[] readUpTo(InputStream in, int max) throws IOException {
        byte[] b = new byte[max];
        int n = 0;
        for (int r; n < max && (r = in.read(b, n, max - n)) > 0; ) n += r;
        return java.util.Arrays.copyOf(b, n);
    }
}
