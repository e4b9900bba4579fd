package org.viridian.management.vnc;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.viridian.devices.video.Framebuffer;

/** A minimal RFB client for the tests, written from RFC 6143: handshake, requests, Raw and DesktopSize rectangles. */
final class RfbClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    int width, height;
    String name;
    Framebuffer picture;
    /** The last update's rectangles: x, y, w, h, encoding each. */
    java.util.List<int[]> lastRects = new java.util.ArrayList<>();

    RfbClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    String serverVersion() throws IOException {
        byte[] v = new byte[12];
        in.readFully(v);
        return new String(v, StandardCharsets.US_ASCII);
    }

    /** The 3.8 handshake up to the security result; -1: refused before it (the server closed). */
    int handshake38(String password) throws IOException {
        serverVersion();
        out.writeBytes("RFB 003.008\n");
        int n = in.readUnsignedByte();
        int type = in.readUnsignedByte();
        for (int i = 1; i < n; i++) in.readUnsignedByte();
        out.writeByte(type);
        if (type == RfbSession.SECURITY_VNC) {
            byte[] challenge = new byte[16];
            in.readFully(challenge);
            out.write(VncAuth.response(challenge, password == null ? "" : password));
        }
        return in.readInt();
    }

    String failureReason() throws IOException {
        byte[] r = new byte[in.readInt()];
        in.readFully(r);
        return new String(r, StandardCharsets.UTF_8);
    }

    void init() throws IOException {
        out.writeByte(1);
        width = in.readUnsignedShort();
        height = in.readUnsignedShort();
        in.readFully(new byte[16]);
        byte[] n = new byte[in.readInt()];
        in.readFully(n);
        name = new String(n, StandardCharsets.UTF_8);
        picture = new Framebuffer(width, height, new int[width * height]);
    }

    void encodings(int... e) throws IOException {
        out.writeByte(2);
        out.writeByte(0);
        out.writeShort(e.length);
        for (int x : e) out.writeInt(x);
    }

    void pixelFormat(PixelFormat f) throws IOException {
        out.writeByte(0);
        out.write(new byte[3]);
        f.writeTo(out);
    }

    void request(boolean incremental) throws IOException {
        out.writeByte(3);
        out.writeByte(incremental ? 1 : 0);
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(width);
        out.writeShort(height);
        out.flush();
    }

    void key(boolean down, int keysym) throws IOException {
        out.writeByte(4);
        out.writeByte(down ? 1 : 0);
        out.writeShort(0);
        out.writeInt(keysym);
        out.flush();
    }

    void pointer(int mask, int x, int y) throws IOException {
        out.writeByte(5);
        out.writeByte(mask);
        out.writeShort(x);
        out.writeShort(y);
        out.flush();
    }

    /** Reads one FramebufferUpdate in 32-bit little-endian x8r8g8b8 (the server's format) into the picture. */
    void update() throws IOException {
        update(PixelFormat.SERVER);
    }

    /** Reads one FramebufferUpdate; pixels in format {@code f} decoded back to 0xRRGGBB (8 bits a channel, scaled). */
    void update(PixelFormat f) throws IOException {
        if (in.readUnsignedByte() != 0) throw new IOException("not a FramebufferUpdate");
        in.readUnsignedByte();
        int n = in.readUnsignedShort();
        lastRects = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int x = in.readUnsignedShort(),
                    y = in.readUnsignedShort(),
                    w = in.readUnsignedShort(),
                    h = in.readUnsignedShort();
            int enc = in.readInt();
            lastRects.add(new int[] {x, y, w, h, enc});
            if (enc == ClientMessage.DESKTOP_SIZE) {
                width = w;
                height = h;
                picture = new Framebuffer(w, h, new int[w * h]);
                continue;
            }
            if (enc != ClientMessage.RAW) throw new IOException("encoding " + enc);
            int bpp = f.bytesPerPixel();
            byte[] px = new byte[w * h * bpp];
            in.readFully(px);
            int[] part = new int[w * h];
            for (int p = 0; p < part.length; p++) {
                long v = 0;
                for (int b = 0; b < bpp; b++) {
                    int idx = p * bpp + (f.bigEndian() ? bpp - 1 - b : b);
                    v |= (long) (px[idx] & 0xFF) << (8 * b);
                }
                int r = (int) (v >>> f.redShift() & f.redMax()) * 255 / f.redMax(); // truncated: within one level
                int g = (int) (v >>> f.greenShift() & f.greenMax()) * 255 / f.greenMax();
                int bl = (int) (v >>> f.blueShift() & f.blueMax()) * 255 / f.blueMax();
                part[p] = r << 16 | g << 8 | bl;
            }
            picture.paste(x, y, new Framebuffer(w, h, part));
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
