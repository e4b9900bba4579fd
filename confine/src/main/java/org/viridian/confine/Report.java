package org.viridian.confine;

import java.util.List;

/** What {@link Confinement#apply} did, step by step, in order (for the worker's log and its state). */
public record Report(List<Step> steps) {
    public Report {
        steps = List.copyOf(steps);
    }

    /** One step: its name, whether it was applied, how (or why not), and how long it took. */
    public record Step(String name, boolean applied, String detail, java.time.Duration took) {}

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Step s : steps)
            b.append(s.applied() ? "applied " : "skipped ")
                    .append(s.name())
                    .append(": ")
                    .append(s.detail())
                    .append(" (")
                    .append(s.took().toNanos() / 1000)
                    .append(" µs)\n");
        return b.toString();
    }
}
