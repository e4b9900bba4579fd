package org.viridian.management.vnc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One VM's VNC listener: accepts clients on its address and port (port 0: the first free one from
 * {@value #FIRST_PORT}, as libvirt's autoport) and serves each in a {@link RfbSession} of its own, at most
 * {@value #MAX_CLIENTS} at once.
 */
public final class VncServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VncServer.class.getName());
    public static final int FIRST_PORT = 5900, LAST_AUTO_PORT = 5999, MAX_CLIENTS = 8;

    private final ServerSocket listener;
    private final Display display;
    private final String password;
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();

    public VncServer(InetAddress address, int port, String password, Display display) throws IOException {
        this.display = display;
        this.password = password;
        this.listener = port != 0 ? bind(address, port) : autoPort(address);
        Thread.ofPlatform().daemon().name("vnc-" + display.name()).start(this::accept);
    }

    public int port() {
        return listener.getLocalPort();
    }

    private static ServerSocket bind(InetAddress address, int port) throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.bind(new InetSocketAddress(address, port));
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static ServerSocket autoPort(InetAddress address) throws IOException {
        for (int p = FIRST_PORT; p <= LAST_AUTO_PORT; p++) {
            try {
                return bind(address, p);
            } catch (java.net.BindException taken) {
                // the next one
            }
        }
        throw new IOException("no free VNC port in " + FIRST_PORT + ".." + LAST_AUTO_PORT);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                if (clients.size() >= MAX_CLIENTS) {
                    s.close();
                    continue;
                }
                s.setTcpNoDelay(true);
                clients.add(s);
                Thread.ofVirtual().name("vnc-client").start(() -> {
                    try {
                        new RfbSession(s, display, password).run();
                    } finally {
                        clients.remove(s);
                    }
                });
            } catch (IOException e) {
                if (!listener.isClosed()) LOG.log(System.Logger.Level.WARNING, "VNC accept: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : clients) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
