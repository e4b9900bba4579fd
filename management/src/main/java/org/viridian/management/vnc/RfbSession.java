package org.viridian.management.vnc;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.viridian.devices.input.KeyNames;
import org.viridian.devices.input.PointerEvent;
import org.viridian.devices.video.Framebuffer;
import org.viridian.devices.video.ScreenTracker;

/**
 * One VNC client (RFB 3.8, and 3.3/3.7 clients as the RFC allows): the handshake with VNC authentication when the VM
 * has a password (the only type offered then) or None, then the client's messages read on this thread and its
 * screen updates written from another. Updates answer FramebufferUpdateRequests: an incremental one waits until
 * something changed and gets only the changed tiles (this client's own ScreenTracker over the service's copy), a full
 * one gets everything; pixels are Raw in the client's pixel format; a new screen size is a DesktopSize rectangle
 * followed by the whole screen. Keys (X keysyms) and pointer events are checked and mapped to what the synthetic
 * keyboard and mouse carry; the rest is counted as refused and dropped.
 */
public final class RfbSession implements Runnable {
    private static final System.Logger LOG = System.getLogger(RfbSession.class.getName());
    static final String VERSION = "RFB 003.008\n";
    private static final Pattern CLIENT_VERSION = Pattern.compile("RFB (\\d{3})\\.(\\d{3})\n");
    static final int SECURITY_NONE = 1, SECURITY_VNC = 2;
    /** A screen before the guest set up its display: black, at this size, until it does. */
    static final int BLANK_WIDTH = 640, BLANK_HEIGHT = 480;

    private static final long POLL_MS = 50;

    private final Socket socket;
    private final Display display;
    private final String password;
    private final AtomicLong refused = new AtomicLong();

    private DataInputStream in;
    private DataOutputStream out;
    private final ScreenTracker tracker = new ScreenTracker();
    // What the client believes and asked for; guarded by this.
    private int width, height;
    private PixelFormat format = PixelFormat.SERVER;
    private boolean desktopSize;
    private ClientMessage.FramebufferUpdateRequest pending;
    private boolean everything;
    private int lastButtons;
    private volatile boolean closed;

    /** {@code password}: null for no authentication (allowed on loopback only; VncServer checks). */
    public RfbSession(Socket socket, Display display, String password) {
        this.socket = socket;
        this.display = display;
        this.password = password;
    }

    /** Client messages refused so far (keys without a scancode, pointers off the screen). */
    public long refused() {
        return refused.get();
    }

    @Override
    public void run() {
        try (socket) {
            in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            if (!handshake()) return;
            Thread writer = Thread.ofVirtual().name("vnc-updates").start(this::writeUpdates);
            try {
                readMessages();
            } finally {
                closed = true;
                writer.interrupt();
            }
        } catch (EOFException gone) {
            // the client left
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, "VNC client " + socket.getRemoteSocketAddress() + ": " + e.getMessage());
        }
    }

    /** Version, security, ClientInit, ServerInit; false when the client failed authentication (it was told). */
    boolean handshake() throws IOException {
        out.writeBytes(VERSION);
        out.flush();
        byte[] v = new byte[12];
        in.readFully(v);
        Matcher m = CLIENT_VERSION.matcher(new String(v, StandardCharsets.US_ASCII));
        if (!m.matches() || Integer.parseInt(m.group(1)) != 3 || Integer.parseInt(m.group(2)) < 3)
            throw new RfbProtocolException("client version " + new String(v, StandardCharsets.US_ASCII).strip());
        int minor = Integer.parseInt(m.group(2));
        minor = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
        int type = password != null ? SECURITY_VNC : SECURITY_NONE;
        if (minor == 3) {
            out.writeInt(type); // 3.3: the server decides
        } else {
            out.writeByte(1);
            out.writeByte(type);
            out.flush();
            int chosen = in.readUnsignedByte();
            if (chosen != type) {
                if (minor >= 8) fail("security type " + chosen + " is not offered");
                throw new RfbProtocolException("security type " + chosen + " is not offered");
            }
        }
        if (type == SECURITY_VNC) {
            byte[] challenge = new byte[VncAuth.CHALLENGE];
            new SecureRandom().nextBytes(challenge);
            out.write(challenge);
            out.flush();
            byte[] answer = new byte[VncAuth.CHALLENGE];
            in.readFully(answer);
            if (!VncAuth.verify(challenge, answer, password)) {
                if (minor >= 8) fail("authentication failed");
                else {
                    out.writeInt(1);
                    out.flush();
                }
                LOG.log(
                        System.Logger.Level.WARNING,
                        "VNC client " + socket.getRemoteSocketAddress() + " of '" + display.name()
                                + "': authentication failed");
                return false;
            }
            out.writeInt(0);
        } else if (minor >= 8) {
            out.writeInt(0); // 3.8 says how None went too
        }
        out.flush();
        in.readUnsignedByte(); // ClientInit's shared flag: every client shares the screen
        int[] size = display.read(
                f -> f == null ? new int[] {BLANK_WIDTH, BLANK_HEIGHT} : new int[] {f.width(), f.height()});
        synchronized (this) {
            width = size[0];
            height = size[1];
        }
        out.writeShort(width);
        out.writeShort(height);
        PixelFormat.SERVER.writeTo(out);
        byte[] name = display.name().getBytes(StandardCharsets.UTF_8);
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        return true;
    }

    /** SecurityResult failed, with its reason (3.8). */
    private void fail(String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        out.writeInt(1);
        out.writeInt(r.length);
        out.write(r);
        out.flush();
    }

    private void readMessages() throws IOException {
        while (true) {
            switch (ClientMessage.read(in)) {
                case ClientMessage.SetPixelFormat p -> {
                    synchronized (this) {
                        format = p.format();
                    }
                }
                case ClientMessage.SetEncodings e -> {
                    synchronized (this) {
                        desktopSize = e.encodings().contains(ClientMessage.DESKTOP_SIZE);
                    }
                }
                case ClientMessage.FramebufferUpdateRequest r -> {
                    synchronized (this) {
                        pending = r;
                        everything |= !r.incremental();
                        notifyAll();
                    }
                }
                case ClientMessage.KeyEvent k ->
                    KeyNames.keysym(k.keysym(), !k.down())
                            .ifPresentOrElse(e -> display.keys(List.of(e)), refused::incrementAndGet);
                case ClientMessage.PointerEvent p -> pointer(p);
                case ClientMessage.ClientCutText c -> {} // no clipboard channel to the guest
            }
        }
    }

    /**
     * RFB buttons (1 left, 2 middle, 3 right; 4 and 5 the wheel, pressed and released per step) as the synthetic
     * mouse's (bit 0 left, 1 right, 2 middle; a wheel step on each press); a position off the screen is refused.
     */
    private void pointer(ClientMessage.PointerEvent p) {
        int w, h, before;
        synchronized (this) {
            w = width;
            h = height;
            before = lastButtons;
            lastButtons = p.buttonMask();
        }
        if (p.x() >= w || p.y() >= h) {
            refused.incrementAndGet();
            return;
        }
        int mask = p.buttonMask(), pressed = mask & ~before;
        int buttons = (mask & 1) | (mask >> 2 & 1) << 1 | (mask >> 1 & 1) << 2;
        int wheel = (pressed & 8) != 0 ? 1 : (pressed & 16) != 0 ? -1 : 0;
        PointerEvent at = PointerEvent.at(p.x(), p.y(), w, h, buttons);
        display.pointer(new PointerEvent(at.x(), at.y(), buttons, wheel));
    }

    /** What one update sends: a new size first where the screen changed size, then regions. */
    private record Update(int width, int height, boolean resized, List<ScreenTracker.Region> regions) {}

    private void writeUpdates() {
        try {
            while (!closed) {
                ClientMessage.FramebufferUpdateRequest req;
                boolean all;
                int w, h;
                synchronized (this) {
                    while (pending == null) wait();
                    req = pending;
                    all = everything;
                    w = width;
                    h = height;
                }
                Update u = display.read(f -> {
                    Framebuffer fb = f != null ? f : blank(w, h);
                    if (all) tracker.forget();
                    ScreenTracker.Changes c = tracker.changes(fb, Long.MAX_VALUE);
                    return new Update(fb.width(), fb.height(), fb.width() != w || fb.height() != h, c.regions());
                });
                if (u.regions().isEmpty() && !u.resized()) {
                    Thread.sleep(POLL_MS); // incremental: nothing new yet; the request stays until something is
                    continue;
                }
                send(u);
                synchronized (this) {
                    if (pending == req) pending = null;
                    everything = false;
                }
            }
        } catch (InterruptedException e) {
            // the client left
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, "VNC client " + socket.getRemoteSocketAddress() + ": " + e.getMessage());
            closeQuietly();
        }
    }

    private Framebuffer blankScreen;

    private Framebuffer blank(int w, int h) {
        if (blankScreen == null || blankScreen.width() != w || blankScreen.height() != h)
            blankScreen = new Framebuffer(w, h, new int[w * h]);
        return blankScreen;
    }

    private void send(Update u) throws IOException {
        PixelFormat f;
        boolean canResize;
        synchronized (this) {
            f = format;
            canResize = desktopSize;
            if (u.resized()) {
                width = u.width();
                height = u.height();
            }
        }
        if (u.resized() && !canResize)
            throw new RfbProtocolException("the screen is now " + u.width() + "x" + u.height()
                    + " and the client takes no DesktopSize: it has to connect again");
        int rects = u.regions().size() + (u.resized() ? 1 : 0);
        out.writeByte(0); // FramebufferUpdate
        out.writeByte(0);
        out.writeShort(rects);
        if (u.resized()) rect(0, 0, u.width(), u.height(), ClientMessage.DESKTOP_SIZE);
        for (ScreenTracker.Region r : u.regions()) {
            Framebuffer p = r.pixels();
            rect(r.x(), r.y(), p.width(), p.height(), ClientMessage.RAW);
            int bpp = f.bytesPerPixel();
            byte[] row = new byte[p.width() * bpp];
            for (int y = 0; y < p.height(); y++) {
                for (int x = 0; x < p.width(); x++) f.encode(p.pixels()[y * p.width() + x], row, x * bpp);
                out.write(row);
            }
        }
        out.flush();
    }

    private void rect(int x, int y, int w, int h, int encoding) throws IOException {
        out.writeShort(x);
        out.writeShort(y);
        out.writeShort(w);
        out.writeShort(h);
        out.writeInt(encoding);
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
