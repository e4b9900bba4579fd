package org.viridian.app.cli;

import org.viridian.management.config.Sizes;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli's converter for size options: the project's one size notation ({@link Sizes}). */
public final class ByteSize implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    /**
     * The byte count of {@code value} (see {@link Sizes#parse}), or a conversion error saying what a size looks like.
     */
    public static long parse(String value) {
        long n = Sizes.parse(value);
        if (n < 0) throw new TypeConversionException(Messages.get("error.notASize", value));
        return n;
    }
}
