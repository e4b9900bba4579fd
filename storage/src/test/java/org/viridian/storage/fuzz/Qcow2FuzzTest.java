package org.viridian.storage.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.viridian.storage.ImageFormat;

/** QCOW2 images from fuzzed bytes through the reader's public open (see {@link ImageFuzzing} for the contract). */
class Qcow2FuzzTest {
    @FuzzTest
    void openQcow2(byte[] data) {
        ImageFuzzing.fuzz(data, ImageFormat.QCOW2);
    }
}
