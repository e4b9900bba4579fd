package org.viridian.app.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** Parses sizes such as 512M, 2G, 64K, 1T or a plain byte count (binary units: 1K = 1024). */
public final class ByteSize implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    public static long parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.endsWith("IB")) v = v.substring(0, v.length() - 2);
        else if (v.endsWith("B") && v.length() > 1 && !Character.isDigit(v.charAt(v.length() - 2))) v = v.substring(0, v.length() - 1);
        int shift = 0;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> { }
            }
        }
        if (shift != 0) v = v.substring(0, v.length() - 1);
        try {
            long n = Long.parseLong(v);
            if (n < 0 || n > (Long.MAX_VALUE >> shift)) throw new TypeConversionException("size out of range: " + value);
            return n << shift;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("not a size (e.g. 512M, 2G): '" + value + "'");
        }
    }
}
