package org.viridian.partition;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.viridian.partition.vp.FlightRecorder;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * Everything needed to understand why a partition died: which VP, why, its registers, the bytes at RIP, and what the
 * flight recorders saw last (every VP's, in time order). Registers may be null when the VP's state could not be read
 * (the report then says so); after a triple fault KVM has already reset the VP, so the recorder tells the story.
 */
public record CrashReport(
        int vp, String reason, Regs regs, Sregs sregs, byte[] instructionBytes, List<FlightRecorder.Entry> recorded) {
    /** Recorder entries of the other VPs shown in {@link #render()} (the crashing VP's are all shown). */
    static final int OTHER_VP_ENTRIES = 16;

    public CrashReport {
        recorded = recorded == null ? List.of() : List.copyOf(recorded);
    }

    public CrashReport(int vp, String reason, Regs regs, Sregs sregs, byte[] instructionBytes) {
        this(vp, reason, regs, sregs, instructionBytes, List.of());
    }

    public String render() {
        StringBuilder b = new StringBuilder();
        b.append("VM crashed on virtual processor ")
                .append(vp)
                .append(": ")
                .append(reason)
                .append('\n');
        if (regs != null) b.append(regs).append('\n');
        if (sregs != null) b.append(sregs).append('\n');
        b.append("instruction bytes at rip: ")
                .append(
                        instructionBytes == null || instructionBytes.length == 0
                                ? "(unavailable)"
                                : HexFormat.ofDelimiter(" ").formatHex(instructionBytes))
                .append('\n');
        if (!recorded.isEmpty()) {
            b.append("flight recorder (oldest first; s since the partition was made):\n");
            for (FlightRecorder.Entry e : shown())
                b.append("  ").append(e.render()).append('\n');
        }
        return b.toString();
    }

    /** All of the crashing VP's entries, and the last few of each other VP's, in time order. */
    private List<FlightRecorder.Entry> shown() {
        Map<Integer, Integer> seen = new HashMap<>();
        List<FlightRecorder.Entry> out = new ArrayList<>();
        for (int i = recorded.size() - 1; i >= 0; i--) {
            FlightRecorder.Entry e = recorded.get(i);
            if (e.vp() != vp && seen.merge(e.vp(), 1, Integer::sum) > OTHER_VP_ENTRIES) continue;
            out.add(e);
        }
        Collections.reverse(out);
        return out;
    }
}
