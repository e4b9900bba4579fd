package org.viridian.management.vnc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.devices.input.KeyEvent;
import org.viridian.devices.video.Framebuffer;

/** The RFB server against a real Framebuffer, driven by a client written from RFC 6143. */
class RfbSessionTest {
    private VncServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private static Framebuffer noise(int w, int h, long seed) {
        Random r = new Random(seed);
        int[] p = new int[w * h];
        for (int i = 0; i < p.length; i++) p[i] = r.nextInt(0x1000000);
        return new Framebuffer(w, h, p);
    }

    private FramebufferDisplay serve(Framebuffer f, String password) throws IOException {
        FramebufferDisplay d = new FramebufferDisplay(f);
        server = new VncServer(InetAddress.getLoopbackAddress(), 0, password, d);
        return d;
    }

    @Test
    void aFullUpdateIsTheScreenAndIncrementalOnesOnlyItsChangedTiles() throws Exception {
        FramebufferDisplay d = serve(noise(300, 200, 1), null);
        assertThat(server.port()).isBetween(VncServer.FIRST_PORT, VncServer.LAST_AUTO_PORT);
        try (RfbClient c = new RfbClient(server.port())) {
            assertThat(c.handshake38(null)).isZero();
            c.init();
            assertThat(c.name).isEqualTo("test-vm");
            assertThat(new int[] {c.width, c.height}).containsExactly(300, 200);
            c.encodings(ClientMessage.RAW, ClientMessage.DESKTOP_SIZE);
            c.request(false);
            c.update();
            assertThat(c.picture.pixels()).isEqualTo(d.screen.pixels());

            d.set(130, 70, 0xABCDEF);
            c.request(true);
            c.update();
            assertThat(c.lastRects).hasSize(1);
            assertThat(c.lastRects.getFirst()).containsExactly(128, 64, 64, 64, ClientMessage.RAW);
            assertThat(c.picture.pixels()).isEqualTo(d.screen.pixels());
        }
    }

    @Test
    void anIncrementalRequestWaitsUntilSomethingChanged() throws Exception {
        FramebufferDisplay d = serve(noise(64, 64, 2), null);
        try (RfbClient c = new RfbClient(server.port())) {
            c.handshake38(null);
            c.init();
            c.request(false);
            c.update();
            c.request(true);
            c.socket.setSoTimeout(500);
            assertThatThrownBy(c::update).isInstanceOf(java.net.SocketTimeoutException.class);
            c.socket.setSoTimeout(10_000);
            d.set(0, 0, 0x010203);
            c.update();
            assertThat(c.picture.pixel(0, 0)).isEqualTo(0x010203);
        }
    }

    @Test
    void aPasswordIsProvedWithTheDesChallengeAndNothingElseGetsIn() throws Exception {
        serve(noise(64, 48, 3), "s3cret");
        try (RfbClient c = new RfbClient(server.port())) {
            assertThat(c.handshake38("wrong")).isEqualTo(1);
            assertThat(c.failureReason()).isEqualTo("authentication failed");
            assertThatThrownBy(() -> c.in.readByte()).isInstanceOf(EOFException.class);
        }
        try (RfbClient c = new RfbClient(server.port())) {
            assertThat(c.handshake38("s3cret")).isZero();
            c.init();
            assertThat(c.width).isEqualTo(64);
        }
        // A client that picks None when only VNC authentication is offered is refused.
        try (RfbClient c = new RfbClient(server.port())) {
            c.serverVersion();
            c.out.writeBytes("RFB 003.008\n");
            assertThat(c.in.readUnsignedByte()).isEqualTo(1);
            assertThat(c.in.readUnsignedByte()).isEqualTo(RfbSession.SECURITY_VNC);
            c.out.writeByte(RfbSession.SECURITY_NONE);
            assertThat(c.in.readInt()).isEqualTo(1);
            assertThat(c.failureReason()).contains("not offered");
        }
    }

    @Test
    void theDesResponseMatchesTheKnownVncVector() {
        // The bit-reversed key: "password" and the challenge 16 bytes of zeros, as every VNC client computes it.
        byte[] r = VncAuth.response(new byte[16], "password");
        assertThat(java.util.HexFormat.of().formatHex(r)).isEqualTo(VNC_VECTOR);
        assertThat(VncAuth.response(new byte[16], "password-and-more")).isEqualTo(r); // only 8 characters count
    }

    /** DES-ECB of 8 zero bytes under the key "password" with each byte's bits reversed, twice. */
    private static final String VNC_VECTOR = desOfZeros();

    private static String desOfZeros() {
        try {
            byte[] key = new byte[8];
            byte[] pw = "password".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < 8; i++) {
                int b = pw[i] & 0xFF, rev = 0;
                for (int bit = 0; bit < 8; bit++) if ((b & (1 << bit)) != 0) rev |= 0x80 >> bit;
                key[i] = (byte) rev;
            }
            var des = javax.crypto.Cipher.getInstance("DES/ECB/NoPadding");
            des.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "DES"));
            return java.util.HexFormat.of().formatHex(des.doFinal(new byte[16]));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aVersion33ClientIsToldTheSecurityTypeAndAuthenticates() throws Exception {
        serve(noise(32, 32, 4), "pw");
        try (RfbClient c = new RfbClient(server.port())) {
            assertThat(c.serverVersion()).isEqualTo("RFB 003.008\n");
            c.out.writeBytes("RFB 003.003\n");
            assertThat(c.in.readInt()).isEqualTo(RfbSession.SECURITY_VNC);
            byte[] challenge = new byte[16];
            c.in.readFully(challenge);
            c.out.write(VncAuth.response(challenge, "pw"));
            assertThat(c.in.readInt()).isZero();
            c.init();
            assertThat(c.width).isEqualTo(32);
        }
    }

    @Test
    void pixelsComeInTheClientsFormat() throws Exception {
        FramebufferDisplay d = serve(noise(40, 30, 5), null);
        PixelFormat rgb565be = new PixelFormat(16, 16, true, true, 31, 63, 31, 11, 5, 0);
        try (RfbClient c = new RfbClient(server.port())) {
            c.handshake38(null);
            c.init();
            c.pixelFormat(rgb565be);
            c.request(false);
            c.update(rgb565be);
            for (int i = 0; i < d.screen.pixels().length; i++) {
                int want = d.screen.pixels()[i], got = c.picture.pixels()[i];
                // 5 and 6 bits a channel: equal to within what those bits keep
                assertThat(Math.abs((want >>> 16) - (got >>> 16))).isLessThanOrEqualTo(8);
                assertThat(Math.abs((want >>> 8 & 0xFF) - (got >>> 8 & 0xFF))).isLessThanOrEqualTo(4);
                assertThat(Math.abs((want & 0xFF) - (got & 0xFF))).isLessThanOrEqualTo(8);
            }
        }
    }

    @Test
    void aNewScreenSizeIsADesktopSizeRectangleThenTheWholeScreen() throws Exception {
        FramebufferDisplay d = serve(noise(64, 64, 6), null);
        try (RfbClient c = new RfbClient(server.port())) {
            c.handshake38(null);
            c.init();
            c.encodings(ClientMessage.RAW, ClientMessage.DESKTOP_SIZE);
            c.request(false);
            c.update();
            d.replace(noise(100, 80, 7));
            c.request(true);
            c.update();
            assertThat(c.lastRects.getFirst()).containsExactly(0, 0, 100, 80, ClientMessage.DESKTOP_SIZE);
            assertThat(c.picture.pixels()).isEqualTo(d.screen.pixels());
        }
    }

    @Test
    void keysAndPointerReachTheDevicesAndWhatTheyCannotCarryIsDropped() throws Exception {
        FramebufferDisplay d = serve(noise(200, 100, 8), null);
        try (RfbClient c = new RfbClient(server.port())) {
            c.handshake38(null);
            c.init();
            c.key(true, 'a');
            c.key(false, 'a');
            c.key(true, 0x20ac); // the euro sign: no key on the keyboard
            c.key(true, 0xff52); // Up: extended
            c.pointer(4, 199, 99); // right button at the bottom right corner
            c.pointer(8, 10, 10); // a wheel step up (pressed)
            c.pointer(0, 10, 10); // (released)
            c.pointer(1, 200, 0); // off the screen
            c.request(false); // a round trip: everything before it was handled
            c.update();
            assertThat(d.keys)
                    .containsExactly(
                            KeyEvent.press(0x1E),
                            KeyEvent.release(0x1E),
                            new KeyEvent(0x48, KeyEvent.Prefix.E0, false));
            assertThat(d.pointers).hasSize(3);
            assertThat(d.pointers.get(0)).isEqualTo(new org.viridian.devices.input.PointerEvent(0x7FFF, 0x7FFF, 2, 0));
            assertThat(d.pointers.get(1).wheel()).isEqualTo(1);
            assertThat(d.pointers.get(2).wheel()).isZero();
        }
    }

    @Test
    void anUnknownMessageEndsTheSessionAndTheServerServesOthers() throws Exception {
        serve(noise(16, 16, 9), null);
        try (RfbClient c = new RfbClient(server.port())) {
            c.handshake38(null);
            c.init();
            c.out.writeByte(77);
            c.out.flush();
            assertThatThrownBy(() -> c.in.readByte()).isInstanceOf(IOException.class);
        }
        try (RfbClient c = new RfbClient(server.port())) {
            assertThat(c.handshake38(null)).isZero();
        }
    }
}
