package org.viridian.storage.ops;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.viridian.storage.DiskImage;
import org.viridian.storage.OpenOptions;
import org.viridian.storage.vhdx.VhdxImage;

/**
 * Consistency check: opens the image tolerantly (every field validated; bad BAT entries, footer copies and
 * pending log entries become problems instead of errors). Repair opens it read-write, which replays a VHDX log,
 * and writes back what tolerant opening fixed in memory.
 */
public final class Checker {
    private Checker() {}

    public static CheckReport check(Path path, boolean repair) throws IOException {
        List<String> problems = new ArrayList<>(), repairs = new ArrayList<>();
        OpenOptions o = new OpenOptions(!repair, true, 0, (p, opts) -> Images.open(p, null, opts));
        DiskImage img;
        try {
            img = Images.open(path, null, o);
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            problems.add(e.getMessage());
            return new CheckReport(path.toString(), problems, repairs, false);
        }
        try (img) {
            problems.addAll(img.problems());
            if (repair) {
                if (img instanceof VhdxImage x && x.replayedEntries() > 0)
                    repairs.add("replayed " + x.replayedEntries() + " log entries");
                repairs.addAll(img.repair());
                img.flush();
            }
        }
        return new CheckReport(path.toString(), problems, repairs, true);
    }
}
