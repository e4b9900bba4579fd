package org.viridian.management.vnc;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * VNC authentication (RFC 6143 7.2.2): the server sends 16 random bytes, the client answers them DES-encrypted with
 * the password as key. The key is the password's first 8 bytes, zero-padded, each byte's bits reversed (the original
 * VNC's DES took the key bits in the other order; every client does the same). Weak by today's measure: it only
 * keeps other local users out, which is why VNC listens on loopback unless the service is set up otherwise.
 */
public final class VncAuth {
    public static final int CHALLENGE = 16, MAX_PASSWORD = 8;

    private VncAuth() {}

    /** What a client knowing {@code password} answers to {@code challenge}. */
    public static byte[] response(byte[] challenge, String password) {
        byte[] key = new byte[8];
        byte[] p = password.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < Math.min(8, p.length); i++) key[i] = (byte) (Integer.reverse(p[i] & 0xFF) >>> 24);
        try {
            Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
            des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
            return des.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DES is not available: " + e.getMessage(), e);
        }
    }

    /** Whether {@code answer} proves the password (compared in constant time). */
    public static boolean verify(byte[] challenge, byte[] answer, String password) {
        return MessageDigest.isEqual(response(challenge, password), answer);
    }
}
