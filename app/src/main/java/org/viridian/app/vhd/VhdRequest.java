package org.viridian.app.vhd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One command sent to the disk tools' server by its client ({@code src/main/c/vhd-client.c}), read and checked before
 * anything runs: "VVS1", a count, then that many length-prefixed UTF-8 strings — the client's directory, its LC_ALL,
 * LC_MESSAGES and LANG (empty when unset), then the command's arguments. The client runs as the server's user, but
 * its bytes are still checked: a bad request is refused with a reason, never half-read into a command.
 */
record VhdRequest(Path cwd, Map<String, String> localeEnv, List<String> args) {
    static final int MAGIC = 0x31535656; // "VVS1" little-endian
    static final int MAX_STRINGS = 4 + 256, MAX_STRING = 64 << 10, MAX_TOTAL = 1 << 20;
    private static final String[] LOCALE_VARS = {"LC_ALL", "LC_MESSAGES", "LANG"};

    VhdRequest {
        localeEnv = Map.copyOf(localeEnv);
        args = List.copyOf(args);
    }

    /** A request that breaks the wire format's rules. */
    static final class BadRequest extends IOException {
        BadRequest(String why) {
            super(why);
        }
    }

    static VhdRequest read(ReadableByteChannel ch) throws IOException {
        ByteBuffer head = readFully(ch, 8);
        if (head.getInt() != MAGIC) throw new BadRequest("not a disk tools request (bad magic)");
        int count = head.getInt();
        if (count < LOCALE_VARS.length + 1 || count > MAX_STRINGS)
            throw new BadRequest("bad string count " + Integer.toUnsignedString(count));
        List<String> strings = new ArrayList<>(count);
        long total = 0;
        for (int i = 0; i < count; i++) {
            int len = readFully(ch, 4).getInt();
            if (len < 0 || len > MAX_STRING) throw new BadRequest("string " + i + " too long");
            if ((total += len) > MAX_TOTAL) throw new BadRequest("request too large");
            strings.add(utf8(readFully(ch, len), i));
        }
        Path cwd;
        try {
            cwd = Path.of(strings.get(0));
        } catch (InvalidPathException e) {
            throw new BadRequest("bad directory: " + e.getMessage());
        }
        if (!cwd.isAbsolute()) throw new BadRequest("the directory is not absolute");
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < LOCALE_VARS.length; i++) {
            if (!strings.get(1 + i).isEmpty()) env.put(LOCALE_VARS[i], strings.get(1 + i));
        }
        return new VhdRequest(cwd, env, strings.subList(1 + LOCALE_VARS.length, count));
    }

    private static String utf8(ByteBuffer b, int index) throws BadRequest {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b)
                    .toString();
        } catch (CharacterCodingException e) {
            // A file name that is not UTF-8 cannot be named again by this JVM (it runs in C.UTF-8): the client runs
            // such a command itself.
            throw new BadRequest("string " + index + " is not UTF-8");
        }
    }

    private static ByteBuffer readFully(ReadableByteChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0)
                throw new EOFException("the client closed its request after " + b.position() + " bytes");
        }
        return b.flip();
    }
}
