package org.viridian.machine.acpi;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Factories for the AML subset the generated DSDT needs (ACPI 6.x chapter 20): scopes, devices, names, methods with
 * simple bodies, packages, integers, strings, buffers, EISA IDs. Encodings are chosen the way iasl would (shortest
 * integer form, Zero/One opcodes), so a disassembly round-trips.
 */
public final class Aml {
    private Aml() {}

    static final int ZERO_OP = 0x00,
            ONE_OP = 0x01,
            NAME_OP = 0x08,
            BYTE_PREFIX = 0x0A,
            WORD_PREFIX = 0x0B,
            DWORD_PREFIX = 0x0C,
            STRING_PREFIX = 0x0D,
            QWORD_PREFIX = 0x0E,
            SCOPE_OP = 0x10,
            BUFFER_OP = 0x11,
            PACKAGE_OP = 0x12,
            METHOD_OP = 0x14,
            DUAL_NAME_PREFIX = 0x2E,
            MULTI_NAME_PREFIX = 0x2F,
            EXT_OP_PREFIX = 0x5B,
            DEVICE_OP = 0x82,
            RETURN_OP = 0xA4,
            ROOT_CHAR = '\\',
            PARENT_PREFIX = '^';

    /** An integer constant in its shortest encoding. */
    public static AmlTerm integer(long value) {
        return out -> {
            if (value == 0) out.u8(ZERO_OP);
            else if (value == 1) out.u8(ONE_OP);
            else if (value >>> 8 == 0) out.u8(BYTE_PREFIX).u8((int) value);
            else if (value >>> 16 == 0) out.u8(WORD_PREFIX).u16((int) value);
            else if (value >>> 32 == 0) out.u8(DWORD_PREFIX).u32(value);
            else out.u8(QWORD_PREFIX).u64(value);
        };
    }

    /** A string constant: 7-bit ASCII without NUL, as AML requires. */
    public static AmlTerm string(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        for (byte c : b) {
            if (c <= 0) throw new IllegalArgumentException("AML strings are ASCII 0x01-0x7F: " + s);
        }
        return out -> out.u8(STRING_PREFIX).bytes(b).u8(0);
    }

    /** A compressed EISA ID such as "PNP0501" (three letters, four hex digits) as a DWord integer. */
    public static AmlTerm eisaId(String id) {
        if (!id.matches("[A-Z]{3}[0-9A-F]{4}")) throw new IllegalArgumentException("EISA ID must be AAA####: " + id);
        int vendor = (id.charAt(0) - 0x40) << 10 | (id.charAt(1) - 0x40) << 5 | (id.charAt(2) - 0x40);
        int product = Integer.parseInt(id.substring(3), 16);
        // Stored big-endian in memory: vendor high byte first, then product high byte.
        long value = (vendor >>> 8) | (vendor & 0xFF) << 8 | (product >>> 8) << 16 | (long) (product & 0xFF) << 24;
        return out -> out.u8(DWORD_PREFIX).u32(value);
    }

    /** A reference to a named object, e.g. as a package element. */
    public static AmlTerm nameRef(String path) {
        byte[] encoded = nameString(path);
        return out -> out.bytes(encoded);
    }

    /** {@code Name(name, value)}. */
    public static AmlTerm name(String name, AmlTerm value) {
        byte[] n = nameString(name);
        return out -> {
            out.u8(NAME_OP).bytes(n);
            value.emit(out);
        };
    }

    /** {@code Scope(path) { body }}. */
    public static AmlTerm scope(String path, List<? extends AmlTerm> body) {
        byte[] n = nameString(path);
        return out -> out.u8(SCOPE_OP).bytes(withPkgLength(concat(n, body)));
    }

    /** {@code Device(name) { body }}. */
    public static AmlTerm device(String name, List<? extends AmlTerm> body) {
        byte[] n = nameString(name);
        return out -> out.u8(EXT_OP_PREFIX).u8(DEVICE_OP).bytes(withPkgLength(concat(n, body)));
    }

    public static AmlTerm device(String name, AmlTerm... body) {
        return device(name, List.of(body));
    }

    /** {@code Method(name, argCount, Serialized?) { body }}. */
    public static AmlTerm method(String name, int argCount, boolean serialized, List<? extends AmlTerm> body) {
        if (argCount < 0 || argCount > 7) throw new IllegalArgumentException("methods take 0..7 arguments");
        byte[] n = nameString(name);
        int flags = argCount | (serialized ? 0x08 : 0);
        return out -> {
            ByteSink inner = new ByteSink().bytes(n).u8(flags);
            body.forEach(t -> t.emit(inner));
            out.u8(METHOD_OP).bytes(withPkgLength(inner.toByteArray()));
        };
    }

    /** {@code Return(value)}. */
    public static AmlTerm ret(AmlTerm value) {
        return out -> {
            out.u8(RETURN_OP);
            value.emit(out);
        };
    }

    /** {@code Package() { elements }} (at most 255 elements: a fixed-size package). */
    public static AmlTerm pkg(AmlTerm... elements) {
        if (elements.length > 255) throw new IllegalArgumentException("Package holds at most 255 elements");
        List<AmlTerm> list = List.of(elements);
        return out -> {
            ByteSink inner = new ByteSink().u8(elements.length);
            list.forEach(t -> t.emit(inner));
            out.u8(PACKAGE_OP).bytes(withPkgLength(inner.toByteArray()));
        };
    }

    /** {@code Buffer() { bytes }}. */
    public static AmlTerm buffer(byte[] data) {
        byte[] copy = data.clone();
        return out -> {
            ByteSink inner = new ByteSink();
            integer(copy.length).emit(inner);
            inner.bytes(copy);
            out.u8(BUFFER_OP).bytes(withPkgLength(inner.toByteArray()));
        };
    }

    /** The standard device status "present, enabled, shown, functioning": {@code Method(_STA) { Return(0x0F) }}. */
    public static AmlTerm staPresent() {
        return method("_STA", 0, false, List.of(ret(integer(0x0F))));
    }

    private static byte[] concat(byte[] head, List<? extends AmlTerm> body) {
        ByteSink s = new ByteSink().bytes(head);
        body.forEach(t -> t.emit(s));
        return s.toByteArray();
    }

    /** Prefixes {@code content} with its PkgLength, which counts its own 1–4 bytes. */
    static byte[] withPkgLength(byte[] content) {
        int n = content.length;
        ByteSink out = new ByteSink();
        if (n + 1 < 0x40) {
            out.u8(n + 1);
        } else {
            int bytes = n + 2 < 1 << 12 ? 2 : n + 3 < 1 << 20 ? 3 : 4;
            int total = n + bytes;
            if (total >= 1 << 28) throw new IllegalArgumentException("AML package too large: " + n);
            out.u8((bytes - 1) << 6 | (total & 0xF));
            for (int i = 1; i < bytes; i++) out.u8(total >>> (4 + 8 * (i - 1)));
        }
        return out.bytes(content).toByteArray();
    }

    /**
     * Encodes a NameString: optional root '\' or parent '^' prefixes, then dot-separated segments of up to four
     * characters [A-Z0-9_] (not starting with a digit), padded with '_'.
     */
    static byte[] nameString(String path) {
        ByteSink out = new ByteSink();
        int i = 0;
        if (path.startsWith("\\")) {
            out.u8(ROOT_CHAR);
            i = 1;
        } else {
            while (i < path.length() && path.charAt(i) == '^') {
                out.u8(PARENT_PREFIX);
                i++;
            }
        }
        String rest = path.substring(i);
        String[] segs = rest.isEmpty() ? new String[0] : rest.split("\\.", -1);
        if (segs.length == 2) out.u8(DUAL_NAME_PREFIX);
        else if (segs.length > 2) {
            if (segs.length > 255) throw new IllegalArgumentException("name path too long: " + path);
            out.u8(MULTI_NAME_PREFIX).u8(segs.length);
        } else if (segs.length == 0) out.u8(0);
        for (String seg : segs) {
            if (!seg.matches("[A-Z_][A-Z0-9_]{0,3}"))
                throw new IllegalArgumentException("bad AML name segment '" + seg + "' in " + path);
            out.ascii(seg, 4, '_');
        }
        return out.toByteArray();
    }
}
