package org.viridian.management.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay a test can cut: while cut, every byte either way is dropped (connections stay open, new ones
 * are accepted and go nowhere), as a network partition that drops packets; healed, the connections made before are
 * closed and new ones relay again.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;

    public TcpProxy(int targetPort) throws IOException {
        this.target = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("proxy-" + targetPort).start(this::acceptLoop);
    }

    public int port() {
        return listener.getLocalPort();
    }

    public void cut() {
        cut = true;
    }

    public void heal() {
        cut = false;
        for (Socket s : open) close(s);
        open.clear();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                open.add(client);
                if (cut) {
                    Thread.ofVirtual().start(() -> pump(client, null));
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 1000);
                } catch (IOException e) {
                    close(client);
                    continue;
                }
                open.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream));
                Thread.ofVirtual().start(() -> pump(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Copies {@code from} to {@code to} while not cut (drops while cut, or always where {@code to} is null). */
    private void pump(Socket from, Socket to) {
        byte[] b = new byte[16384];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to == null ? null : to.getOutputStream();
            for (int n; (n = in.read(b)) > 0; ) {
                if (cut || out == null) continue;
                out.write(b, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // closed
        } finally {
            if (!cut) {
                close(from);
                if (to != null) close(to);
            }
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        heal();
    }
}
