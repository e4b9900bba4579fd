package org.viridian.storage.io;

import java.io.IOException;
import java.util.function.IntPredicate;

/**
 * Splits a byte range of a block into runs of sectors that share one bitmap bit: differencing formats read
 * set sectors from the child and clear ones from the parent.
 */
public final class SectorRuns {
    private SectorRuns() {}

    @FunctionalInterface
    public interface RunConsumer {
        /** {@code from}/{@code to} are byte offsets within the block. */
        void accept(int from, int to, boolean set) throws IOException;
    }

    public static void forEach(int offset, int length, int sectorSize, IntPredicate bitOfSector, RunConsumer out)
            throws IOException {
        int end = offset + length;
        int pos = offset;
        while (pos < end) {
            boolean set = bitOfSector.test(pos / sectorSize);
            int runEnd = (pos / sectorSize + 1) * sectorSize;
            while (runEnd < end && bitOfSector.test(runEnd / sectorSize) == set) runEnd += sectorSize;
            runEnd = Math.min(runEnd, end);
            out.accept(pos, runEnd, set);
            pos = runEnd;
        }
    }
}
