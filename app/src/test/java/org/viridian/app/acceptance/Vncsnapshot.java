package org.viridian.app.acceptance;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.viridian.management.vnc.VncAuth;

/** Debian's vncsnapshot, a real VNC client: its password file, and a screenshot taken with it on this machine. */
final class Vncsnapshot {
    static final Path PROGRAM = Path.of("/usr/bin/vncsnapshot");
    /** The key vncpasswd encrypts a password file's password with (DES, as VNC authentication does). */
    private static final byte[] FILE_KEY = {23, 82, 107, 6, 35, 78, 88, 7};

    private Vncsnapshot() {}

    /** The bytes of a vncpasswd file holding {@code password} (at most 8 characters count, as in VNC). */
    static byte[] passwdFile(String password) {
        return VncAuth.response(
                Arrays.copyOf(password.getBytes(StandardCharsets.US_ASCII), 8),
                new String(FILE_KEY, StandardCharsets.ISO_8859_1));
    }

    /** A screenshot of the VNC server at 127.0.0.1:{@code port} (raw encoding, best JPEG quality). */
    static BufferedImage take(int port, String password, Path dir) throws IOException, InterruptedException {
        Path passwd = dir.resolve("vnc-passwd"), jpeg = dir.resolve("vncsnapshot.jpg");
        Files.write(passwd, passwdFile(password));
        Files.deleteIfExists(jpeg);
        // vncsnapshot names a server by display (port - 5900).
        Process p = new ProcessBuilder(
                        PROGRAM.toString(),
                        "-quiet",
                        "-passwd",
                        passwd.toString(),
                        "-encodings",
                        "raw",
                        "-quality",
                        "100",
                        "127.0.0.1:" + (port - 5900),
                        jpeg.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(jpeg))
            throw new AssertionError("vncsnapshot failed: " + out);
        return ImageIO.read(jpeg.toFile());
    }
}
