package org.viridian.storage.io;

import java.io.FileInputStream;
import java.io.IOException;
import java.security.SecureRandom;

/**
 * Random bytes for the formats' unique identifiers, read from the kernel's generator: the same source SecureRandom
 * uses on Linux, without its provider set-up, which was a tenth of a short conversion's start. SecureRandom only
 * where /dev/urandom cannot be read.
 */
public final class RandomBytes {
    private RandomBytes() {}

    public static byte[] of(int n) {
        byte[] b = new byte[n];
        try (FileInputStream in = new FileInputStream("/dev/urandom")) {
            if (in.readNBytes(b, 0, n) == n) return b;
        } catch (IOException e) {
            // No /dev/urandom here: SecureRandom finds another source.
        }
        Fallback.RANDOM.nextBytes(b);
        return b;
    }

    private static final class Fallback {
        static final SecureRandom RANDOM = new SecureRandom();
    }
}
