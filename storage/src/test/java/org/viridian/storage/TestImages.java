package org.viridian.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

/** Helpers shared by the tests: random writes mirrored in a byte-array model, and comparing a device with it. */
public final class TestImages {
    private TestImages() {}

    /** Writes {@code count} random spans (unaligned, some crossing blocks) to both the device and the model. */
    public static void randomWrites(BlockDevice d, byte[] model, long seed, int count, int maxLength)
            throws IOException {
        Random r = new Random(seed);
        for (int i = 0; i < count; i++) {
            int len = 1 + r.nextInt(maxLength);
            int off = r.nextInt(model.length - len);
            byte[] data = new byte[len];
            r.nextBytes(data);
            d.write(ByteBuffer.wrap(data), off);
            System.arraycopy(data, 0, model, off, len);
        }
    }

    public static void assertContent(BlockDevice d, byte[] model) throws IOException {
        assertThat(d.size()).isEqualTo(model.length);
        ByteBuffer all = ByteBuffer.allocate(model.length);
        d.read(all, 0);
        int diff = java.util.Arrays.mismatch(all.array(), model);
        assertThat(diff).as("first differing byte").isEqualTo(-1);
    }

    public static byte[] readAll(BlockDevice d) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) d.size());
        d.read(all, 0);
        return all.array();
    }

    public static void writeRaw(Path raw, byte[] model) throws IOException {
        java.nio.file.Files.write(raw, model);
    }
}
