package org.viridian.storage.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.viridian.storage.ImageFormat;

/** VHDX images from fuzzed bytes through the reader's public open (see {@link ImageFuzzing} for the contract). */
class VhdxFuzzTest {
    @FuzzTest
    void openVhdx(byte[] data) {
        ImageFuzzing.fuzz(data, ImageFormat.VHDX);
    }
}
