package org.viridian.app.vhd;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The disk tools' server's stdout and stderr: what a served command prints goes, as frames, to the client that sent it;
 * anything else (the server's own lines) to the server's log. The commands print through System.out and System.err,
 * so those are replaced once by streams that look up the command's client on the printing thread.
 */
final class ServedOutput {
    private ServedOutput() {}

    /** The client of the command running on this thread. */
    static final ScopedValue<Client> CLIENT = ScopedValue.newInstance();

    /** One client's socket: frames of kind 'O', 'E', 'X' or 'R', each written whole. */
    static final class Client {
        private final WritableByteChannel ch;
        private boolean broken;

        Client(WritableByteChannel ch) {
            this.ch = ch;
        }

        synchronized void frame(char kind, byte[] data, int off, int len) {
            if (broken) return; // a client that went away: the command is being cancelled, its output has no reader
            ByteBuffer b = ByteBuffer.allocate(5 + len).order(ByteOrder.LITTLE_ENDIAN);
            b.put((byte) kind).putInt(len).put(data, off, len).flip();
            try {
                while (b.hasRemaining()) ch.write(b);
            } catch (IOException e) {
                broken = true;
            }
        }

        void exit(int status) {
            byte[] s = ByteBuffer.allocate(4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(status)
                    .array();
            frame('X', s, 0, 4);
        }

        /** "Run it yourself": the client runs the command in a JVM of its own. */
        void refuse(String why) {
            byte[] w = why.getBytes(StandardCharsets.UTF_8);
            frame('R', w, 0, w.length);
        }
    }

    /** Replaces System.out and System.err (UTF-8: the launcher sends only UTF-8, C and POSIX terminals here). */
    static void install() {
        System.setOut(stream('O', System.out));
        System.setErr(stream('E', System.err));
    }

    private static PrintStream stream(char kind, PrintStream log) {
        OutputStream dispatch = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (CLIENT.isBound()) CLIENT.get().frame(kind, b, off, len);
                else log.write(b, off, len);
            }

            @Override
            public void flush() {
                if (!CLIENT.isBound()) log.flush();
            }
        };
        return new PrintStream(dispatch, true, StandardCharsets.UTF_8);
    }
}
