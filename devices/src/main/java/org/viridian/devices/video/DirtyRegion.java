package org.viridian.devices.video;

import java.util.ArrayList;
import java.util.List;
import org.viridian.devices.video.protocol.Rect;

/**
 * The rectangles the guest redrew since the host last looked. Bounded: past {@link #LIMIT} rectangles they are merged
 * into their bounding box, so a guest that reports dirt faster than anyone reads it costs a fixed amount of memory.
 */
final class DirtyRegion {
    static final int LIMIT = 64;
    private List<Rect> rects = new ArrayList<>();

    void add(Rect r) {
        if (r.isEmpty()) return;
        if (rects.size() < LIMIT) {
            rects.add(r);
            return;
        }
        Rect all = r;
        for (Rect o : rects) all = all.union(o);
        rects = new ArrayList<>(List.of(all));
    }

    List<Rect> take() {
        List<Rect> out = rects;
        rects = new ArrayList<>();
        return out;
    }
}
