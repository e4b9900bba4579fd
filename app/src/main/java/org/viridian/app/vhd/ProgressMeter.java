package org.viridian.app.vhd;

import java.io.PrintStream;
import org.viridian.storage.ops.Progress;

/** A one-line percentage on stderr, redrawn at most once per percent; silent when not asked for. */
final class ProgressMeter implements Progress {
    private final PrintStream out;
    private int shown = -1;

    ProgressMeter(boolean enabled) {
        this.out = enabled ? System.err : null;
    }

    @Override
    public void update(long done, long total) {
        if (out == null || total <= 0) return;
        int pct = (int) (done * 100 / total);
        if (pct == shown) return;
        shown = pct;
        out.printf("\r    (%3d%%)", pct);
        if (done >= total) out.println();
        out.flush();
    }
}
