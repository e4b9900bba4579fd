package org.viridian.machine.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Where a VM's serial console goes: the terminal, a file, or a TCP socket on loopback (one client at a time, like
 * QEMU's -serial tcp::PORT,server). Guest output is never blocked by a slow or absent reader: socket output with no
 * client is dropped.
 */
public sealed interface ConsoleEndpoint extends AutoCloseable {
    /** Guest → outside. */
    OutputStream output();

    /** Starts forwarding outside → guest input to {@code sink} on a daemon thread. */
    void connectInput(Consumer<byte[]> sink);

    @Override
    void close() throws IOException;

    /** Parses "stdio", "file:PATH", "tcp:PORT" or "none". */
    static ConsoleEndpoint parse(String spec) throws IOException {
        if (spec.equals("stdio")) return new Terminal();
        if (spec.equals("none")) return new Discard();
        if (spec.startsWith("file:")) return new FileSink(Path.of(spec.substring(5)));
        if (spec.startsWith("tcp:")) {
            int port;
            try {
                port = Integer.parseInt(spec.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("console tcp port must be a number: " + spec);
            }
            if (port < 0 || port > 65535) throw new IllegalArgumentException("console tcp port out of range: " + port);
            return new TcpServer(port);
        }
        throw new IllegalArgumentException("console must be stdio, none, file:PATH or tcp:PORT, not '" + spec + "'");
    }

    /** Guest output to a stream the caller owns (the host service's console broadcaster, tests); input via the VM. */
    static ConsoleEndpoint to(OutputStream out) {
        return new Stream(out);
    }

    private static void pump(InputStream in, Consumer<byte[]> sink, String name) {
        Thread.ofPlatform().daemon(true).name(name).start(() -> {
            byte[] buf = new byte[256];
            try {
                for (int n; (n = in.read(buf)) > 0; ) sink.accept(java.util.Arrays.copyOf(buf, n));
            } catch (IOException ignored) {
                // The reader went away; the guest simply gets no more input.
            }
        });
    }

    final class Terminal implements ConsoleEndpoint {
        @Override
        public OutputStream output() {
            return System.out;
        }

        @Override
        public void connectInput(Consumer<byte[]> sink) {
            pump(System.in, sink, "console-stdin");
        }

        @Override
        public void close() {
            System.out.flush();
        }
    }

    final class Stream implements ConsoleEndpoint {
        private final OutputStream out;

        Stream(OutputStream out) {
            this.out = out;
        }

        @Override
        public OutputStream output() {
            return out;
        }

        @Override
        public void connectInput(Consumer<byte[]> sink) {}

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    final class Discard implements ConsoleEndpoint {
        @Override
        public OutputStream output() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public void connectInput(Consumer<byte[]> sink) {}

        @Override
        public void close() {}
    }

    final class FileSink implements ConsoleEndpoint {
        private final OutputStream out;

        FileSink(Path path) throws IOException {
            out = Files.newOutputStream(
                    path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        }

        @Override
        public OutputStream output() {
            return out;
        }

        @Override
        public void connectInput(Consumer<byte[]> sink) {}

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    final class TcpServer implements ConsoleEndpoint {
        private final ServerSocket server;
        private volatile Socket client;
        private final OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                Socket c = client;
                if (c == null) return;
                try {
                    c.getOutputStream().write(b);
                } catch (IOException e) {
                    client = null;
                }
            }
        };

        TcpServer(int port) throws IOException {
            server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }

        public int port() {
            return server.getLocalPort();
        }

        @Override
        public OutputStream output() {
            return out;
        }

        @Override
        public void connectInput(Consumer<byte[]> sink) {
            Thread.ofPlatform().daemon(true).name("console-accept").start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        client = s;
                        pump(s.getInputStream(), sink, "console-tcp");
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            Socket c = client;
            if (c != null) c.close();
            server.close();
        }
    }
}
