package org.viridian.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ByteSizeTest {
    @Test
    void parsesBinaryUnits() {
        assertThat(ByteSize.parse("512M")).isEqualTo(512L << 20);
        assertThat(ByteSize.parse("2g")).isEqualTo(2L << 30);
        assertThat(ByteSize.parse("64KiB")).isEqualTo(64L << 10);
        assertThat(ByteSize.parse("1TB")).isEqualTo(1L << 40);
        assertThat(ByteSize.parse("4096")).isEqualTo(4096);
    }

    @Test
    void rejectsGarbageAndOverflow() {
        assertThatThrownBy(() -> ByteSize.parse("lots"))
                .isInstanceOf(TypeConversionException.class)
                .hasMessageContaining("512M");
        assertThatThrownBy(() -> ByteSize.parse("-1M")).isInstanceOf(TypeConversionException.class);
        assertThatThrownBy(() -> ByteSize.parse("99999999999T")).isInstanceOf(TypeConversionException.class);
    }
}
